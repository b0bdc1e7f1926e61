import { Link } from "wouter";
import { Placeholder } from "../../components/Notice";
import { HotelsView } from "./Hotels/HotelsView";
import { ImagesView } from "./Images/ImagesView";
import { ReportsView } from "./Reports/ReportsView";
import { UsersView } from "./Users/UsersView";
import "./examples.css";

/** The example app's pages: the classic background jobs of the README, each on Conveyor. */
export const examplePages = [
  { slug: "users", label: "Users", View: UsersView },
  { slug: "images", label: "Images", View: ImagesView },
  { slug: "reports", label: "Reports", View: ReportsView },
  { slug: "hotels", label: "Hotels", View: HotelsView },
] as const;

/** `#/examples/<page>`: a small sub-nav over the example pages, then the page itself. */
export function ExamplesView({ page }: { page: string | undefined }) {
  const chosen = examplePages.find((candidate) => candidate.slug === (page ?? "users"));
  return (
    <div className="examples">
      <nav aria-label="Examples" className="subnav">
        <ul>
          {examplePages.map(({ slug, label }) => (
            <li key={slug}>
              <Link href={`/examples/${slug}`} aria-current={slug === chosen?.slug ? "page" : undefined}>
                {label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {chosen ? <chosen.View /> : <Placeholder>There is no example page here.</Placeholder>}
    </div>
  );
}
