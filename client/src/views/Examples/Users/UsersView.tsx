import { emailSend } from "@conveyor/shared";
import { useInfiniteQuery } from "@tanstack/react-query";
import { getQueryKey } from "@trpc/react-query";
import { ErrorBanner, Placeholder } from "../../../components/Notice";
import { useCan } from "../../../components/RequireRole";
import { trpc } from "../../../trpc";
import { useFollowedRuns } from "../useFollowedRuns";
import { RegisterForm } from "./RegisterForm";
import { UsersTable } from "./UsersTable";

/** Users per page. */
const listInput = { limit: 20 };

function UsersList({ canDelete }: { canDelete: boolean }) {
  const utils = trpc.useUtils();
  // Not tRPC's useInfiniteQuery: it always sends `direction`, which `users.list` does not take.
  // tRPC's own key keeps `utils.users.list.invalidate()` reaching these pages.
  const users = useInfiniteQuery({
    queryKey: getQueryKey(trpc.users.list, listInput, "infinite"),
    queryFn: ({ pageParam }) => utils.client.users.list.query({ ...listInput, cursor: pageParam }),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const items = users.data?.pages.flatMap((page) => page.items) ?? [];
  const runs = useFollowedRuns(
    emailSend.name,
    items.flatMap((user) => (user.welcomeEmailRunId ? [user.welcomeEmailRunId] : [])),
  );
  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Registered users</h2>
      {users.isError && <ErrorBanner title="Could not load the users." error={users.error} />}
      {users.isPending && <Placeholder>Loading users…</Placeholder>}
      {users.isSuccess && items.length === 0 && <Placeholder>No users yet.</Placeholder>}
      {items.length > 0 && <UsersTable users={items} runs={runs} canDelete={canDelete} />}
      {users.hasNextPage && (
        <div className="form-actions">
          <button type="button" onClick={() => users.fetchNextPage()} disabled={users.isFetchingNextPage}>
            {users.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      )}
    </section>
  );
}

/** Register a user: the user, the welcome email and the audit entry are committed together. */
export function UsersView() {
  const canWrite = useCan("operator");
  return (
    <>
      <h1>Users</h1>
      <p className="lead">
        Registering inserts the user and enqueues its welcome email in one transaction; each row follows that email's
        run live.
      </p>
      {canWrite && <RegisterForm />}
      <UsersList canDelete={canWrite} />
    </>
  );
}
