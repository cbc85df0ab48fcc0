// Server results and progress -> what the user sees. Pure (no `vscode` import).

/** `neural.server.runHpo` result. */
export interface HpoResult {
  best_value: number;
  best_params: Record<string, unknown>;
  optimized_text: string;
  optimized_uri: string;
  trials: number;
  results_path: string;
}

/** `neural.server.compile` result. */
export interface CompileResult {
  path: string;
}

/** `neural.server.train` result. */
export interface TrainResult {
  metrics: Record<string, number>;
  experiment_dir: string;
}

/** `neural/networkShape` result. */
export interface NetworkShape {
  network: string;
  input: string;
  output: string;
  layer: string | null;
  layer_output: string | null;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const isStr = (x: unknown): x is string => typeof x === "string";
const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/** Raised when the server answers with something other than the agreed shape. */
export class ResultError extends Error {
  constructor(command: string, what: string, got: unknown) {
    super(`${command}: unexpected result from the language server (${what}): ${JSON.stringify(got)?.slice(0, 200)}`);
    this.name = "ResultError";
  }
}

export function asHpoResult(x: unknown): HpoResult {
  if (!isObj(x)) throw new ResultError("Run HPO", "not an object", x);
  for (const k of ["optimized_text", "optimized_uri", "results_path"] as const) {
    if (!isStr(x[k])) throw new ResultError("Run HPO", `${k} is not a string`, x);
  }
  if (!isNum(x.best_value)) throw new ResultError("Run HPO", "best_value is not a number", x);
  if (!isObj(x.best_params)) throw new ResultError("Run HPO", "best_params is not an object", x);
  if (!isNum(x.trials)) throw new ResultError("Run HPO", "trials is not a number", x);
  return x as unknown as HpoResult;
}

export function asCompileResult(x: unknown): CompileResult {
  if (!isObj(x) || !isStr(x.path)) throw new ResultError("Compile", "path is not a string", x);
  return x as unknown as CompileResult;
}

export function asTrainResult(x: unknown): TrainResult {
  if (!isObj(x) || !isObj(x.metrics) || !isStr(x.experiment_dir)) throw new ResultError("Train", "expected {metrics, experiment_dir}", x);
  return x as unknown as TrainResult;
}

export function asNetworkShape(x: unknown): NetworkShape | null {
  if (x === null || x === undefined) return null;
  if (!isObj(x) || !isStr(x.network) || !isStr(x.input) || !isStr(x.output)) return null;
  return {
    network: x.network,
    input: x.input,
    output: x.output,
    layer: isStr(x.layer) ? x.layer : null,
    layer_output: isStr(x.layer_output) ? x.layer_output : null,
  };
}

/** Numbers as a person reads them: 4 significant digits, no float noise (0.1 + 0.2). */
export function formatValue(v: unknown): string {
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3).replace(/\.?0+e/, "e") : String(Number(v.toPrecision(4)));
  }
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

export function formatParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(", ");
}

export function formatHpoResult(r: HpoResult): string {
  const params = formatParams(r.best_params);
  return `HPO finished: best ${formatValue(r.best_value)} after ${r.trials} trial${r.trials === 1 ? "" : "s"}${params ? ` (${params})` : ""}.`;
}

export function formatTrainResult(r: TrainResult): string {
  const m = formatParams(r.metrics).replace(/=/g, " ");
  return `Training finished${m ? `: ${m}` : ""}. Experiment: ${r.experiment_dir}`;
}

/** Status bar text for the shape under the cursor. */
export function formatShape(s: NetworkShape | null): { text: string; tooltip: string } {
  if (!s) return { text: "Neural", tooltip: "Neural language server: running" };
  const net = `${s.network}: ${s.input} → ${s.output}`;
  if (s.layer && s.layer_output) {
    return { text: `${s.layer} → ${s.layer_output}`, tooltip: `Layer ${s.layer} outputs ${s.layer_output}\nNetwork ${net}` };
  }
  return { text: net, tooltip: `Network ${net}` };
}

export type ServerState = "starting" | "running" | "stopped" | "failed";

export const STATE_ICONS: Record<ServerState, string> = {
  starting: "$(sync~spin)",
  running: "$(symbol-class)",
  stopped: "$(debug-stop)",
  failed: "$(error)",
};

/** The whole status bar item: server state, and the shape when the server runs. */
export function statusBarText(state: ServerState, shape: NetworkShape | null): { text: string; tooltip: string } {
  if (state !== "running") {
    const text = { starting: "Neural: starting…", stopped: "Neural: stopped", failed: "Neural: server failed" }[state];
    return { text: `${STATE_ICONS[state]} ${text}`, tooltip: `Neural language server: ${state}. Click to restart.` };
  }
  const f = formatShape(shape);
  return { text: `${STATE_ICONS.running} ${f.text}`, tooltip: f.tooltip };
}

/** `$/progress` work-done values, as the LSP defines them. */
export type WorkDoneValue =
  | { kind: "begin"; title: string; message?: string; percentage?: number; cancellable?: boolean }
  | { kind: "report"; message?: string; percentage?: number; cancellable?: boolean }
  | { kind: "end"; message?: string };

/**
 * Turns the server's absolute percentages into the increments a VS Code progress notification
 * takes, and keeps the latest message ("trial 3/10, best 0.93").
 */
export class ProgressAdapter {
  private done = 0;
  message: string | undefined;
  ended = false;

  update(v: WorkDoneValue): { message?: string; increment?: number } {
    if (v.kind === "end") this.ended = true;
    if (v.message !== undefined) this.message = v.message;
    const pct = "percentage" in v && typeof v.percentage === "number" ? Math.max(0, Math.min(100, v.percentage)) : undefined;
    let increment: number | undefined;
    if (pct !== undefined && pct > this.done) {
      increment = pct - this.done;
      this.done = pct;
    }
    const out: { message?: string; increment?: number } = {};
    if (this.message !== undefined) out.message = this.message;
    if (increment !== undefined) out.increment = increment;
    return out;
  }
}

/**
 * Calls `fn` once things have been quiet for `ms`; used for the cursor-move shape lookup.
 * Timer functions are injectable so the test does not sleep.
 */
export class Debouncer {
  private handle: unknown;
  constructor(
    readonly ms: number,
    private readonly timers: { set: (fn: () => void, ms: number) => unknown; clear: (h: unknown) => void } = {
      set: (fn, ms) => setTimeout(fn, ms),
      clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    },
  ) {}
  schedule(fn: () => void): void {
    this.cancel();
    this.handle = this.timers.set(() => {
      this.handle = undefined;
      fn();
    }, this.ms);
  }
  cancel(): void {
    if (this.handle !== undefined) this.timers.clear(this.handle);
    this.handle = undefined;
  }
}
