import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Job } from "kubernetes-models/batch/v1/Job";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { configVariables, loadConfig } from "../server/src/config/env.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const overlays = ["dev", "production"] as const;

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** What `kubectl kustomize` renders for an overlay, object by object. */
function render(overlay: string): KubeObject[] {
  const yaml = execFileSync("kubectl", ["kustomize", `${root}deploy/kubernetes/overlays/${overlay}`], {
    encoding: "utf8",
  });
  return parseAllDocuments(yaml).map((document) => document.toJSON() as KubeObject);
}

/** Each kind the manifests use, checked against its Kubernetes (or KEDA) schema. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
};

interface Container {
  name: string;
  image: string;
  command: string[];
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string }[];
  readinessProbe?: { httpGet?: { port: string | number } };
  livenessProbe?: { httpGet?: { port: string | number } };
  startupProbe?: { httpGet?: { port: string | number } };
}

interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: {
    containers: Container[];
    terminationGracePeriodSeconds?: number;
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  };
}

const podTemplateOf = (object: KubeObject) => (object.spec as { template: PodTemplate }).template;
const named = (objects: KubeObject[], kind: string, name: string) =>
  objects.find((object) => object.kind === kind && object.metadata.name === name);

/** The Dockerfile's last CMD, as its exec form. */
function dockerCommand(): string[] {
  const dockerfile = readFileSync(`${root}Dockerfile`, "utf8");
  const cmd = [...dockerfile.matchAll(/^CMD (\[.*\])$/gm)].at(-1)?.[1];
  return JSON.parse(cmd ?? "[]") as string[];
}

describe.each(overlays)("deploy/kubernetes/overlays/%s", (overlay) => {
  const objects = render(overlay);

  it("renders every object the deployment needs, each valid against its schema", () => {
    const kinds = objects.map((object) => `${object.kind}/${object.metadata.name}`).sort();
    expect(kinds).toEqual([
      "ConfigMap/conveyor-config",
      "Deployment/conveyor-api",
      "Deployment/conveyor-worker",
      "Job/conveyor-migrate",
      "PersistentVolumeClaim/conveyor-images",
      "PodDisruptionBudget/conveyor-api",
      "PodDisruptionBudget/conveyor-worker",
      "ScaledObject/conveyor-worker",
      "Secret/conveyor-secrets",
      "Service/conveyor-api",
    ]);
    for (const object of objects) {
      const Model = models[`${object.apiVersion}/${object.kind}`];
      expect(Model, `${object.apiVersion} ${object.kind}`).toBeDefined();
      if (Model)
        expect(() => new Model(object as never).validate(), `${object.kind}/${object.metadata.name}`).not.toThrow();
    }
  });

  it("runs the image the Dockerfile builds, as its non-root user, with probes on ports the container declares", () => {
    const [node, entry] = dockerCommand();
    expect(readFileSync(`${root}Dockerfile`, "utf8")).toMatch(/^USER node$/m);
    for (const object of objects.filter((candidate) => candidate.kind === "Deployment" || candidate.kind === "Job")) {
      const template = podTemplateOf(object);
      // The node image's `node` user.
      expect(template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      for (const container of template.spec.containers) {
        expect(container.image).toMatch(/(^|\/)conveyor:[\w.-]+$/);
        expect(container.command.slice(0, 2)).toEqual([node, entry]);
        const ports = new Set((container.ports ?? []).flatMap((port) => [port.name, port.containerPort]));
        for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
          if (object.kind === "Job") continue;
          expect(probe?.httpGet, `${object.metadata.name} probe`).toBeDefined();
          expect(ports.has(probe?.httpGet?.port ?? -1), `${object.metadata.name} probe port`).toBe(true);
        }
      }
    }
    const api = named(objects, "Deployment", "conveyor-api");
    const worker = named(objects, "Deployment", "conveyor-worker");
    expect(api && podTemplateOf(api).spec.containers[0]?.command).toContain("--api");
    expect(worker && podTemplateOf(worker).spec.containers[0]?.command).toContain("--worker");
    const job = named(objects, "Job", "conveyor-migrate");
    expect(job && podTemplateOf(job).spec.containers[0]?.command).toContain("--migrate");
  });

  it("sets only variables the server reads, with values its configuration accepts, and drains within the grace period", () => {
    const config = named(objects, "ConfigMap", "conveyor-config")?.data as Record<string, string>;
    const secret = named(objects, "Secret", "conveyor-secrets")?.stringData as Record<string, string>;
    for (const name of [...Object.keys(config), ...Object.keys(secret)]) expect(configVariables).toContain(name);
    // The secret's placeholders are refused, naming each variable, so a forgotten one cannot start.
    expect(() => loadConfig({ ...config, ...secret })).toThrow(/DATABASE_URL[\s\S]*CONVEYOR_ADMIN_TOKEN/);
    const settings = loadConfig({ ...config, DATABASE_URL: "postgres://user@postgres:5432/conveyor" });
    for (const name of ["conveyor-api", "conveyor-worker"]) {
      const deployment = named(objects, "Deployment", name);
      const template = deployment ? podTemplateOf(deployment) : undefined;
      const graceMs = (template?.spec.terminationGracePeriodSeconds ?? 30) * 1_000;
      // The API also gives open HTTP requests 5 s.
      expect(graceMs).toBeGreaterThan(settings.SHUTDOWN_GRACE_MS + settings.ABORT_GRACE_MS + 5_000);
      for (const container of template?.spec.containers ?? []) {
        expect(container.envFrom).toEqual([
          { configMapRef: { name: "conveyor-config" } },
          { secretRef: { name: "conveyor-secrets" } },
        ]);
        for (const variable of container.env ?? []) expect(configVariables).toContain(variable.name);
      }
    }
  });

  it("selects its own pods: Services, budgets and the autoscaler point at what exists", () => {
    const deployments = objects.filter((object) => object.kind === "Deployment");
    const labelsOf = (name: string) => {
      const deployment = named(objects, "Deployment", name);
      return deployment ? podTemplateOf(deployment).metadata.labels : {};
    };
    for (const deployment of deployments) {
      const { matchLabels } = (deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector;
      expect(podTemplateOf(deployment).metadata.labels).toMatchObject(matchLabels);
    }
    const service = named(objects, "Service", "conveyor-api")?.spec as { selector: Record<string, string> };
    expect(labelsOf("conveyor-api")).toMatchObject(service.selector);
    for (const name of ["conveyor-api", "conveyor-worker"]) {
      const budget = named(objects, "PodDisruptionBudget", name)?.spec as {
        selector: { matchLabels: Record<string, string> };
      };
      expect(labelsOf(name)).toMatchObject(budget.selector.matchLabels);
    }
    const scaler = named(objects, "ScaledObject", "conveyor-worker")?.spec as {
      scaleTargetRef: { name: string };
      triggers: { type: string; metadata: { query: string } }[];
    };
    expect(named(objects, "Deployment", scaler.scaleTargetRef.name)).toBeDefined();
    expect(scaler.triggers[0]?.metadata.query).toMatch(/\bconveyor_queue_depth\b/);
  });
});
