import { z } from "zod";

/** The part of a JSON Schema (as zod's `toJSONSchema` writes it) that a form can render. */
interface SchemaNode {
  type?: string | string[] | undefined;
  properties?: Record<string, SchemaNode> | undefined;
  required?: string[] | undefined;
  enum?: unknown[] | undefined;
  default?: unknown;
  description?: string | undefined;
  format?: string | undefined;
  minimum?: number | undefined;
  maximum?: number | undefined;
  exclusiveMinimum?: number | undefined;
  exclusiveMaximum?: number | undefined;
  maxLength?: number | undefined;
}

const schemaNode: z.ZodType<SchemaNode> = z.lazy(() =>
  z.looseObject({
    type: z.union([z.string(), z.array(z.string())]).optional(),
    properties: z.record(z.string(), schemaNode).optional(),
    required: z.array(z.string()).optional(),
    enum: z.array(z.unknown()).optional(),
    default: z.unknown().optional(),
    description: z.string().optional(),
    format: z.string().optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
    exclusiveMinimum: z.number().optional(),
    exclusiveMaximum: z.number().optional(),
    maxLength: z.number().optional(),
  }),
);

export type FieldKind = "text" | "textarea" | "email" | "url" | "number" | "integer" | "boolean" | "enum" | "json";

/** One input of the form, bound to one place in the task's input. */
export interface FormField {
  node: "field";
  /** The form library's name for it: `f0`, `f1`, … (property names may hold dots). */
  name: string;
  /** Where its value goes in the task input; `[]` when the whole input is one JSON field. */
  path: string[];
  label: string;
  kind: FieldKind;
  isRequired: boolean;
  /** The initial form value: a string, a number or a boolean depending on `kind`. */
  initialValue: string | number | boolean;
  /** Allowed values of an `enum` field. */
  options: unknown[];
  hint: string;
  min?: number | undefined;
  max?: number | undefined;
}

/** A nested object: a fieldset of its properties. */
export interface FormGroup {
  node: "group";
  path: string[];
  label: string;
  isRequired: boolean;
  children: FormNode[];
}

export type FormNode = FormField | FormGroup;

/** Text allowed to run this long (a body, a note) gets a textarea; anything else one line. */
const textareaFromLength = 500;

const isPrimitive = (value: unknown) => ["string", "number", "boolean"].includes(typeof value);

function typeOf(schema: SchemaNode): string | undefined {
  return typeof schema.type === "string" ? schema.type : undefined;
}

function kindOf(schema: SchemaNode): FieldKind {
  if (schema.enum && schema.enum.length > 0 && schema.enum.every(isPrimitive)) return "enum";
  switch (typeOf(schema)) {
    case "string":
      if (schema.format === "email") return "email";
      if (schema.format === "uri" || schema.format === "url") return "url";
      return schema.maxLength !== undefined && schema.maxLength > textareaFromLength ? "textarea" : "text";
    case "number":
      return "number";
    case "integer":
      return "integer";
    case "boolean":
      return "boolean";
    default:
      return "json";
  }
}

function initialValueOf(kind: FieldKind, schema: SchemaNode, isRequired: boolean): string | number | boolean {
  const fallback = schema.default;
  switch (kind) {
    case "number":
    case "integer":
      return typeof fallback === "number" ? fallback : "";
    case "boolean":
      return fallback === true;
    case "json":
      if (fallback !== undefined) return JSON.stringify(fallback, null, 2);
      if (!isRequired) return "";
      return typeOf(schema) === "array" ? "[]" : typeOf(schema) === "object" ? "{}" : "";
    default:
      return fallback === undefined ? "" : String(fallback);
  }
}

/** A bound worth showing: zod gives every `int()` the safe-integer range, which tells a reader nothing. */
function meaningful(bound: number | undefined): number | undefined {
  return bound !== undefined && Math.abs(bound) < Number.MAX_SAFE_INTEGER ? bound : undefined;
}

function typeLabelOf(kind: FieldKind, schema: SchemaNode): string {
  switch (kind) {
    case "json":
      return "JSON";
    case "text":
    case "textarea":
      return "string";
    case "enum":
      return `one of ${(schema.enum ?? []).map(String).join(" | ")}`;
    default:
      return kind;
  }
}

function hintOf(kind: FieldKind, schema: SchemaNode, isRequired: boolean): string {
  const parts = [typeLabelOf(kind, schema)];
  const minimum = meaningful(schema.minimum);
  const maximum = meaningful(schema.maximum);
  const { exclusiveMinimum, exclusiveMaximum } = schema;
  if (minimum !== undefined) parts.push(`≥ ${minimum}`);
  if (exclusiveMinimum !== undefined) parts.push(`> ${exclusiveMinimum}`);
  if (maximum !== undefined) parts.push(`≤ ${maximum}`);
  if (exclusiveMaximum !== undefined) parts.push(`< ${exclusiveMaximum}`);
  if (schema.maxLength !== undefined) parts.push(`at most ${schema.maxLength} characters`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  else parts.push(isRequired ? "required" : "optional");
  if (schema.description) parts.push(schema.description);
  return parts.join(" · ");
}

function isRenderableObject(schema: SchemaNode): schema is SchemaNode & { properties: Record<string, SchemaNode> } {
  return typeOf(schema) === "object" && schema.properties !== undefined && Object.keys(schema.properties).length > 0;
}

/**
 * The form for a task's input schema. Objects with declared properties become fieldsets; anything
 * a plain input cannot hold (free-form objects, arrays, unions) becomes a JSON textarea.
 */
export function formFromSchema(inputSchema: unknown): FormNode[] {
  const parsed = schemaNode.safeParse(inputSchema);
  const root: SchemaNode = parsed.success ? parsed.data : {};
  let count = 0;

  const fieldOf = (schema: SchemaNode, path: string[], label: string, isRequired: boolean): FormField => {
    const kind = kindOf(schema);
    return {
      node: "field",
      name: `f${count++}`,
      path,
      label,
      kind,
      isRequired,
      initialValue: initialValueOf(kind, schema, isRequired),
      options: schema.enum ?? [],
      hint: hintOf(kind, schema, isRequired),
      min: meaningful(schema.minimum),
      max: meaningful(schema.maximum),
    };
  };

  const childrenOf = (schema: SchemaNode & { properties: Record<string, SchemaNode> }, path: string[]) =>
    Object.entries(schema.properties).map(([key, child]): FormNode => {
      const childPath = [...path, key];
      const isRequired = schema.required?.includes(key) ?? false;
      if (isRenderableObject(child))
        return { node: "group", path: childPath, label: key, isRequired, children: childrenOf(child, childPath) };
      return fieldOf(child, childPath, key, isRequired);
    });

  if (isRenderableObject(root)) return childrenOf(root, []);
  return [fieldOf(root, [], "input", true)];
}

/** Every field of the form, depth first. */
export function fieldsOf(nodes: FormNode[]): FormField[] {
  return nodes.flatMap((node) => (node.node === "field" ? [node] : fieldsOf(node.children)));
}

/** The initial value of every field, keyed by field name. */
export function initialValuesOf(nodes: FormNode[]): Record<string, string | number | boolean> {
  return Object.fromEntries(fieldsOf(nodes).map((field) => [field.name, field.initialValue]));
}

function valueAtPath(input: unknown, path: string[]): unknown {
  let node = input;
  for (const key of path) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** A field's form value for a value the task input holds; `undefined` when the form cannot show it. */
function formValueOf(field: FormField, value: unknown): string | number | boolean | undefined {
  if (value === undefined) return undefined;
  switch (field.kind) {
    case "number":
    case "integer":
      return typeof value === "number" ? value : undefined;
    case "boolean":
      return value === true;
    case "json":
      return JSON.stringify(value, null, 2);
    default:
      return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
        ? String(value)
        : undefined;
  }
}

/**
 * The form's values for an existing input (a run being re-run): each field shows what the input
 * holds at its path, or its initial value where the input holds nothing it can show.
 */
export function valuesFromInput(nodes: FormNode[], input: unknown): Record<string, string | number | boolean> {
  return Object.fromEntries(
    fieldsOf(nodes).map((field) => [
      field.name,
      formValueOf(field, valueAtPath(input, field.path)) ?? field.initialValue,
    ]),
  );
}
