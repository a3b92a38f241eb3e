// What to do with the configuration files: which existing file the new list is merged
// from, whether the list needs writing, and whether a legacy file must go.
import { parseCniConfig, type ExistingCniConfig, type RenderedConflist } from '../model/conflist.js';
import { formatJson, jsonEqual } from '../model/json.js';

/** The files as read: `text` is undefined when the file does not exist. */
export interface CniConfFiles {
  readonly target: { readonly path: string; readonly text?: string };
  readonly legacy?: { readonly path: string; readonly text?: string };
}

/**
 * The configuration to merge into: the list when it exists (it wins over a leftover
 * legacy file), else the legacy file, else none (kube-router's template is used).
 * ConfigError when the chosen file cannot be read as a CNI configuration: it is left
 * untouched, since it may be a user's edit in progress.
 */
export function existingConfig(files: CniConfFiles): ExistingCniConfig | undefined {
  if (files.target.text !== undefined) return parseCniConfig(files.target.path, files.target.text);
  if (files.legacy?.text !== undefined) return parseCniConfig(files.legacy.path, files.legacy.text);
  return undefined;
}

export interface ConflistPlan {
  /** The new text of the target, when its content must change. */
  readonly write?: string;
  /** A legacy file to remove once the list is in place (it would shadow the list). */
  readonly removeLegacy?: string;
}

export function planConflist(files: CniConfFiles, existing: ExistingCniConfig | undefined, rendered: RenderedConflist): ConflistPlan {
  // Content, not text, decides: a user's formatting is not a reason to rewrite the file.
  const unchanged = existing !== undefined && existing.path === files.target.path && jsonEqual(existing.value, rendered.config);
  return {
    ...(unchanged ? {} : { write: formatJson(rendered.config) }),
    ...(files.legacy?.text !== undefined ? { removeLegacy: files.legacy.path } : {}),
  };
}
