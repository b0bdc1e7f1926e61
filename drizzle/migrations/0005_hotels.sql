CREATE TABLE "hotels" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"city" text NOT NULL,
	"country" text NOT NULL,
	"stars" integer NOT NULL,
	"price_per_night_cents" integer NOT NULL,
	"rooms" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "hotels_city_name_idx" ON "hotels" USING btree ("city","name","id");--> statement-breakpoint
CREATE INDEX "hotels_name_idx" ON "hotels" USING btree ("name","id");