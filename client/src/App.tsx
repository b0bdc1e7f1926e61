import { lazy } from "react";
import { Redirect, Route, Router, Switch } from "wouter";
import { Layout } from "./components/Layout";
import { Placeholder } from "./components/Notice";
import { RequireRole } from "./components/RequireRole";
import { SessionGate } from "./components/SessionGate";
import { ViewSuspense } from "./components/ViewSuspense";
import { useHashLocation } from "./hashLocation";
import { EnqueueView } from "./views/Enqueue/EnqueueView";
import { FlowBuilderView } from "./views/Enqueue/FlowBuilderView";
import { ExamplesView } from "./views/Examples/ExamplesView";
import { FlowsView } from "./views/Flow/FlowsView";
import { RunView } from "./views/Run/RunView";
import { RunsView } from "./views/Runs/RunsView";
import { SchedulesView } from "./views/Schedules/SchedulesView";
import { EditScheduleView, NewScheduleView, ScheduleView } from "./views/Schedules/ScheduleView";
import { SignInView } from "./views/SignIn/SignInView";
import { WorkersView } from "./views/Workers/WorkersView";

/** The graph and chart libraries load with the first view that needs them. */
const FlowView = lazy(() => import("./views/Flow/FlowView").then((module) => ({ default: module.FlowView })));
const OverviewView = lazy(() =>
  import("./views/Overview/OverviewView").then((module) => ({ default: module.OverviewView })),
);

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
                <Route path="/enqueue-flow" component={FlowBuilderView} />
                <Route path="/runs" component={RunsView} />
                <Route path="/runs/:id">{(params) => <RunView key={params.id} id={params.id} />}</Route>
                <Route path="/flows" component={FlowsView} />
                <Route path="/flows/:id">
                  {(params) => (
                    <ViewSuspense>
                      <FlowView key={params.id} id={params.id} />
                    </ViewSuspense>
                  )}
                </Route>
                <Route path="/schedules" component={SchedulesView} />
                <Route path="/schedules/new" component={NewScheduleView} />
                <Route path="/schedules/:id">{(params) => <ScheduleView key={params.id} id={params.id} />}</Route>
                <Route path="/schedules/:id/edit">
                  {(params) => <EditScheduleView key={params.id} id={params.id} />}
                </Route>
                <Route path="/workers" component={WorkersView} />
                <Route path="/overview">
                  <ViewSuspense>
                    <OverviewView />
                  </ViewSuspense>
                </Route>
                <Route path="/examples/:page?">{(params) => <ExamplesView page={params.page} />}</Route>
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
