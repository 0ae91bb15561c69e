// The one typed wrapper over the `attentionInspector.*` settings. Everything that reads a setting goes
// through `readConfig`; the parsing is pure (no runtime `vscode` import) so it can be unit-tested.
import type * as vscode from 'vscode';

export const SECTION = 'attentionInspector';
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';
export const COLOR_SCHEMES = ['theme', 'viridis', 'magma'] as const;
export type ColorScheme = (typeof COLOR_SCHEMES)[number];

export interface ProfileConfig {
  batchSize: number;
  positions: number;
  includeFirstToken: boolean;
}

export interface Config {
  /** Hugging Face repo id of the model, e.g. "gpt2". */
  model: string;
  /** Local model folder; wins over `model` when set. */
  modelPath: string;
  /** Hub endpoint; HF_ENDPOINT is used when the setting is left at its default. */
  hubEndpoint: string;
  topK: number;
  /** Requested maximum tokens per analysis; cap it with `effectiveMaxTokens` once the model is known. */
  maxTokens: number;
  colorScheme: ColorScheme;
  decorationOpacity: number;
  profile: ProfileConfig;
}

export const DEFAULTS: Config = {
  model: 'gpt2',
  modelPath: '',
  hubEndpoint: DEFAULT_HUB_ENDPOINT,
  topK: 10,
  maxTokens: 1024,
  colorScheme: 'theme',
  decorationOpacity: 0.6,
  profile: { batchSize: 64, positions: 30, includeFirstToken: false },
};

type Getter = (key: string) => unknown;
type Env = Record<string, string | undefined>;

function str(get: Getter, key: string, fallback: string): string {
  const v = get(key);
  return typeof v === 'string' ? v.trim() : fallback;
}

function int(get: Getter, key: string, fallback: number, min: number, max: number): number {
  const v = get(key);
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  return Math.min(max, Math.max(min, Math.round(v)));
}

function num(get: Getter, key: string, fallback: number, min: number, max: number): number {
  const v = get(key);
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  return Math.min(max, Math.max(min, v));
}

function bool(get: Getter, key: string, fallback: boolean): boolean {
  const v = get(key);
  return typeof v === 'boolean' ? v : fallback;
}

function colorScheme(v: unknown): ColorScheme {
  return COLOR_SCHEMES.find((s) => s === v) ?? DEFAULTS.colorScheme;
}

/** The hub endpoint: the setting when changed, else HF_ENDPOINT, else the default. No trailing slash. */
export function hubEndpoint(setting: string, env: Env): string {
  const fromEnv = env.HF_ENDPOINT?.trim();
  const chosen = setting && setting !== DEFAULT_HUB_ENDPOINT ? setting : fromEnv || DEFAULT_HUB_ENDPOINT;
  return chosen.replace(/\/+$/, '');
}

/** Parse settings from a getter (`WorkspaceConfiguration.get`), clamping every number to a sane range. */
export function parseConfig(get: Getter, env: Env): Config {
  return {
    model: str(get, 'model', DEFAULTS.model) || DEFAULTS.model,
    modelPath: str(get, 'modelPath', ''),
    hubEndpoint: hubEndpoint(str(get, 'hubEndpoint', DEFAULT_HUB_ENDPOINT), env),
    topK: int(get, 'topK', DEFAULTS.topK, 1, 100),
    maxTokens: int(get, 'maxTokens', DEFAULTS.maxTokens, 2, 1 << 20),
    colorScheme: colorScheme(get('colorScheme')),
    decorationOpacity: num(get, 'decorationOpacity', DEFAULTS.decorationOpacity, 0, 1),
    profile: {
      batchSize: int(get, 'profile.batchSize', DEFAULTS.profile.batchSize, 1, 4096),
      positions: int(get, 'profile.positions', DEFAULTS.profile.positions, 1, 4096),
      includeFirstToken: bool(get, 'profile.includeFirstToken', DEFAULTS.profile.includeFirstToken),
    },
  };
}

/** maxTokens capped at the model's context length. */
export function effectiveMaxTokens(config: Config, modelContext: number): number {
  return Math.min(config.maxTokens, modelContext);
}

/** Identity of the model the settings ask for: a change of this key means "reload". */
export function modelKey(config: Config): string {
  return config.modelPath ? `path:${config.modelPath}` : `hub:${config.hubEndpoint}/${config.model}`;
}

/** Read the current settings. Pass `vscode.workspace` (kept as a parameter so this file stays pure). */
export function readConfig(workspace: Pick<typeof vscode.workspace, 'getConfiguration'>, env: Env = process.env): Config {
  const section = workspace.getConfiguration(SECTION);
  return parseConfig((key) => section.get(key), env);
}

/** Does a configuration change event touch our section (or a sub-key of it)? */
export function affects(e: vscode.ConfigurationChangeEvent, key?: string): boolean {
  return e.affectsConfiguration(key ? `${SECTION}.${key}` : SECTION);
}

/**
 * Write one of our settings where it takes effect: the workspace when it is set there, else the user
 * settings. An empty string removes the value (back to the default).
 */
export async function writeSetting(
  workspace: Pick<typeof vscode.workspace, 'getConfiguration'>, key: string, value: unknown,
): Promise<void> {
  const section = workspace.getConfiguration(SECTION);
  const inspected = section.inspect(key);
  const inWorkspace = inspected?.workspaceFolderValue !== undefined || inspected?.workspaceValue !== undefined;
  await section.update(key, value === '' ? undefined : value, !inWorkspace);
}

// ---- Where a setting is in effect --------------------------------------------------------------------

/** Parse JSON with comments and trailing commas (a settings.json); undefined when it is not valid. */
export function parseJsonc(text: string): unknown {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  try {
    return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
  } catch {
    return undefined;
  }
}

/** The `attentionInspector.modelPath` a User settings.json text asks for ('' when absent). */
export function modelPathInSettingsText(text: string): string {
  const json = parseJsonc(text);
  if (typeof json !== 'object' || json === null) return '';
  const v = (json as Record<string, unknown>)[`${SECTION}.modelPath`];
  return typeof v === 'string' ? v.trim() : '';
}

export interface IgnoredSetting {
  value: string;
  /** One paragraph: where it is set, why it is not in effect, where it must be set. */
  message: string;
}

/**
 * `attentionInspector.modelPath` is machine-overridable: in a remote window (code-server, SSH, a
 * container, WSL) VS Code ignores its User-settings value (the public `inspect()` does not even report
 * it), and reads it from the Remote settings or the Workspace settings only. Given the value in the
 * User settings file and what `inspect()` reports, say so when the User value is not the one in effect.
 */
export function ignoredUserModelPath(opts: {
  userFileValue: string;
  effective: string;
  inspected?: { globalValue?: unknown; workspaceValue?: unknown; workspaceFolderValue?: unknown };
  remoteName?: string;
}): IgnoredSetting | undefined {
  const value = opts.userFileValue.trim();
  if (!value || !opts.remoteName) return undefined;
  if (opts.effective === value || opts.inspected?.globalValue === value) return undefined;
  const overridden = [opts.inspected?.workspaceFolderValue, opts.inspected?.workspaceValue].some((v) => typeof v === 'string' && v.trim() !== '');
  if (overridden) return undefined; // the workspace chooses another folder on purpose
  return {
    value,
    message: `${SECTION}.modelPath is set to "${value}" in your User settings, but this window is remote (${remoteKind(opts.remoteName)}), ` +
      'and there VS Code reads machine settings like this one only from the Remote settings or the Workspace settings. ' +
      'Set it in the Remote settings (Preferences: Open Remote Settings) or in the Workspace settings.',
  };
}

/** A readable kind of remote for `vscode.env.remoteName`. */
export function remoteKind(remoteName: string): string {
  const known: Record<string, string> = {
    'ssh-remote': 'SSH', wsl: 'WSL', 'dev-container': 'a dev container', 'attached-container': 'a container',
    codespaces: 'Codespaces', tunnel: 'a tunnel',
  };
  return known[remoteName] ?? 'code-server or another remote server';
}

/** Where a value of `attentionInspector.modelPath` that is in effect was set, for messages. */
export function modelPathScope(inspected: { globalValue?: unknown; workspaceValue?: unknown; workspaceFolderValue?: unknown } | undefined,
  remote: boolean): string {
  if (typeof inspected?.workspaceFolderValue === 'string' && inspected.workspaceFolderValue) return 'Workspace Folder settings';
  if (typeof inspected?.workspaceValue === 'string' && inspected.workspaceValue) return 'Workspace settings';
  return remote ? 'Remote settings' : 'User settings';
}
