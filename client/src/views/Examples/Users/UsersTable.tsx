import { Timestamp } from "../../../components/Timestamp";
import { type RouterOutputs, trpc } from "../../../trpc";
import { RunBadge } from "../RunBadge";
import type { FollowedRun } from "../useFollowedRuns";

type User = RouterOutputs["users"]["list"]["items"][number];

interface UsersTableProps {
  users: User[];
  /** Each welcome email run, by id, as far as it has been read. */
  runs: ReadonlyMap<string, FollowedRun>;
  canDelete: boolean;
}

export function UsersTable({ users, runs, canDelete }: UsersTableProps) {
  const utils = trpc.useUtils();
  const deleteUser = trpc.users.delete.useMutation({ onSuccess: () => utils.users.list.invalidate() });
  return (
    <div className="table-scroll table-card">
      <table className="runs-table">
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Email</th>
            <th scope="col">Registered</th>
            <th scope="col">Welcome email</th>
            {canDelete && (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {users.map((user) => {
            const runId = user.welcomeEmailRunId;
            const isDeleting = deleteUser.isPending && deleteUser.variables?.id === user.id;
            return (
              <tr key={user.id} data-testid="user-row" data-user-id={user.id} data-username={user.username}>
                <td>{user.username}</td>
                <td>{user.email}</td>
                <td>
                  <Timestamp date={user.createdAt} />
                </td>
                <td>
                  {runId ? (
                    <RunBadge runId={runId} status={runs.get(runId)?.status} testId="welcome-email-status" />
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                {canDelete && (
                  <td className="row-actions">
                    <button
                      type="button"
                      className="button-small button-danger"
                      aria-label={`Delete ${user.username}`}
                      disabled={isDeleting}
                      onClick={() => deleteUser.mutate({ id: user.id })}
                    >
                      Delete
                    </button>
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
