import { emailSend } from "@conveyor/shared";
import { useInfiniteQuery } from "@tanstack/react-query";
import { getQueryKey } from "@trpc/react-query";
import { Listing, pageItems } from "../../../components/Listing";
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
  const items = pageItems(users.data);
  const runs = useFollowedRuns(
    emailSend.name,
    items.flatMap((user) => (user.welcomeEmailRunId ? [user.welcomeEmailRunId] : [])),
  );
  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Registered users</h2>
      <Listing query={users} items={items} noun="users" empty="No users yet.">
        {(listed) => <UsersTable users={listed} runs={runs} canDelete={canDelete} />}
      </Listing>
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
