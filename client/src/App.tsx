import { Redirect, Route, Router, Switch } from "wouter";
import { Layout } from "./components/Layout";
import { Placeholder } from "./components/Notice";
import { RequireRole } from "./components/RequireRole";
import { SessionGate } from "./components/SessionGate";
import { useHashLocation } from "./hashLocation";
import { EnqueueView } from "./views/Enqueue/EnqueueView";
import { RunView } from "./views/Run/RunView";
import { RunsView } from "./views/Runs/RunsView";
import { SignInView } from "./views/SignIn/SignInView";

export function App() {
  return (
    <Router hook={useHashLocation}>
      <Layout>
        <Switch>
          <Route path="/login" component={SignInView} />
          <Route>
            <SessionGate>
              <Switch>
                <Route path="/">
                  {/* Home is the enqueue form; sign-in (and the /login link) lands a viewer on the runs. */}
                  <RequireRole atLeast="operator" fallback={<Redirect to="/runs" replace />}>
                    <EnqueueView taskName={null} />
                  </RequireRole>
                </Route>
                <Route path="/enqueue/:task">{(params) => <EnqueueView taskName={params.task} />}</Route>
                <Route path="/runs" component={RunsView} />
                <Route path="/runs/:id">{(params) => <RunView key={params.id} id={params.id} />}</Route>
                <Route>
                  <Placeholder>There is no page here.</Placeholder>
                </Route>
              </Switch>
            </SessionGate>
          </Route>
        </Switch>
      </Layout>
    </Router>
  );
}
