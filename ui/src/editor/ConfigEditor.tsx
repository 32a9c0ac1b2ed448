// The launchpad's run-config editor: CodeMirror 6 with YAML highlighting, completion of the
// job's config fields and enum values from its JSON schema (Ctrl-Space, or as you type), a
// hover card with a key's type, description, default and whether it is required, and the
// validation errors drawn on the lines they concern. Loaded on demand with the launchpad
// (pages/Jobs.tsx imports it lazily) so that the other pages do not carry CodeMirror.
import { useEffect, useRef } from "react";
import { acceptCompletion, autocompletion, closeCompletion, completionKeymap, startCompletion, type Completion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import { bracketMatching, HighlightStyle, indentOnInput, indentUnit, syntaxHighlighting } from "@codemirror/language";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { Compartment, EditorState, Prec } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, hoverTooltip, keymap, lineNumbers, placeholder } from "@codemirror/view";
import { tags } from "@lezer/highlight";
import YAML from "yaml";
import { onThemeChange, resolvedTheme } from "../theme";
import { childSchema, errorRange, hasFields, isRequired, listOfFields, objectBranch, keyAt, placeAt, schemaAt, typeLabel, valueChoices, yamlScalar, type Schema } from "./configSchema";

export interface ConfigError { path: string; message: string }

export interface ConfigEditorProps {
  value: string;
  onChange: (text: string) => void;
  schema: unknown;
  /** The server's validation errors of `value` (dotted paths), drawn on their lines. */
  errors: ConfigError[];
  /** Ctrl/Cmd+Enter. */
  onSubmit: () => void;
  id: string;
  label: string;
  describedBy?: string;
}

const REQUIRED = { name: "Required", rank: 0 };
const OPTIONAL = { name: "Optional", rank: 1 };

/** A field's card: type, required or not, default, description. */
function describe(schema: Schema | undefined, required: boolean): HTMLElement {
  const box = document.createElement("div");
  box.className = "cm-config-hint";
  const head = box.appendChild(document.createElement("div"));
  const type = head.appendChild(document.createElement("code"));
  type.textContent = typeLabel(schema);
  const req = head.appendChild(document.createElement("span"));
  req.className = required ? "hint-required" : "hint-optional";
  req.textContent = required ? " required" : " optional";
  if (schema && "default" in schema) {
    const d = box.appendChild(document.createElement("div"));
    d.textContent = "default: ";
    d.appendChild(document.createElement("code")).textContent = JSON.stringify(schema.default);
  }
  if (schema?.description) box.appendChild(document.createElement("p")).textContent = schema.description;
  return box;
}

function completeConfig(root: () => Schema | undefined) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const text = plain(ctx.state.doc.toString());
    const place = placeAt(text, ctx.pos);
    if (!place) return null;
    const word = text.slice(place.from, ctx.pos);
    if (!ctx.explicit && !word && place.kind === "key") return null;
    const schema = schemaAt(root(), place.path);
    if (place.kind === "value") {
      const choices = valueChoices(schema);
      const options: Completion[] = choices.map((v) => ({ label: yamlScalar(v), type: "enum", detail: typeLabel(schema) }));
      if (schema && "default" in schema && schema.default !== null && typeof schema.default !== "object"
          && !choices.some((c) => c === schema.default)) {
        options.push({ label: yamlScalar(schema.default), type: "constant", detail: "default" });
      }
      for (const o of options) if (schema && "default" in schema && o.label === yamlScalar(schema.default)) o.detail = "default";
      return options.length ? { from: place.from, options, validFor: /^[^\s]*$/ } : null;
    }
    const fields = objectBranch(schema)?.properties ?? {};
    const indent = " ".repeat(place.col + 2);
    const options: Completion[] = Object.entries(fields).filter(([k]) => !place.siblings.has(k)).map(([key, sub]) => {
      const required = isRequired(schema, key);
      const nested = hasFields(sub) || listOfFields(sub);
      const insert = hasFields(sub) ? `${key}:\n${indent}` : nested ? `${key}:\n${indent}- ` : `${key}: `;
      return {
        label: key,
        type: "property",
        detail: typeLabel(sub) + ("default" in sub ? ` = ${JSON.stringify(sub.default)}` : ""),
        info: () => describe(sub, required),
        section: required ? REQUIRED : OPTIONAL,
        apply: (view: EditorView, _c: Completion, from: number, to: number) => {
          view.dispatch({ changes: { from, to, insert }, selection: { anchor: from + insert.length }, userEvent: "input.complete" });
          if (nested || valueChoices(sub).length) window.setTimeout(() => startCompletion(view), 0);
        },
      };
    });
    return options.length ? { from: place.from, options, validFor: /^[\w.-]*$/ } : null;
  };
}

function hoverConfig(root: () => Schema | undefined) {
  return hoverTooltip((view, pos) => {
    const key = keyAt(plain(view.state.doc.toString()), pos);
    if (!key) return null;
    const parent = schemaAt(root(), key.path.slice(0, -1));
    const schema = childSchema(parent, key.path[key.path.length - 1]);
    return {
      pos: key.from,
      end: key.to,
      above: true,
      create: () => {
        const dom = document.createElement("div");
        const title = dom.appendChild(document.createElement("div"));
        title.className = "cm-config-hint-path";
        title.textContent = key.path.join(".");
        if (!schema) {
          const note = dom.appendChild(document.createElement("div"));
          note.className = "hint-unknown";
          note.textContent = parent ? "Not a field of this job's config." : "Unknown: its parent is not in the schema.";
        } else {
          dom.appendChild(describe(schema, isRequired(parent, key.path[key.path.length - 1])));
        }
        return { dom };
      },
    };
  }, { hoverTime: 250 });
}

/** `[from, to]` made visible: an empty range (an error at the end of a line or of the text)
 * grows to the line it is on, or to the last written line before it. */
function visible(text: string, from: number, to: number): [number, number] {
  from = Math.min(Math.max(from, 0), text.length);
  to = Math.min(Math.max(to, from), text.length);
  if (to > from) return [from, to];
  let start = text.lastIndexOf("\n", from - 1) + 1;
  let end = text.indexOf("\n", from);
  if (end < 0) end = text.length;
  while (end <= start && start > 0) {
    end = start - 1;
    start = text.lastIndexOf("\n", end - 1) + 1;
  }
  return [start, end];
}

/** Diagnostics for `text`: YAML syntax errors, then the server's errors placed on their lines. */
function diagnose(text: string, errors: ConfigError[]): Diagnostic[] {
  const doc = YAML.parseDocument(text, { prettyErrors: false });
  const out: Diagnostic[] = doc.errors.map((e) => {
    const [from, to] = visible(text, e.pos[0], e.pos[1]);
    return { from, to, severity: "error", source: "YAML", message: e.message.split("\n")[0] };
  });
  if (out.length) return out;
  for (const err of errors) {
    const [from, to] = visible(text, ...(errorRange(doc, err.path, err.message) ?? [0, 0]));
    out.push({ from, to, severity: "error", source: err.path ? `run config at ${err.path}` : "run config", message: err.message });
  }
  return out;
}

const highlight = HighlightStyle.define([
  { tag: [tags.propertyName, tags.definition(tags.propertyName)], color: "var(--tok-key)" },
  { tag: [tags.string, tags.special(tags.string)], color: "var(--tok-string)" },
  { tag: [tags.number, tags.bool, tags.null, tags.keyword, tags.atom], color: "var(--tok-literal)" },
  { tag: [tags.comment, tags.meta], color: "var(--muted)", fontStyle: "italic" },
  { tag: [tags.punctuation, tags.separator, tags.squareBracket, tags.brace], color: "var(--ink-2, var(--muted))" },
]);

const look = EditorView.theme({
  "&": { background: "var(--panel)", color: "var(--ink)", border: "1px solid var(--line)", borderRadius: "6px", fontSize: "12.5px" },
  "&.cm-focused": { outline: "2px solid var(--accent)", outlineOffset: "-1px" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5", minHeight: "15em", maxHeight: "32em" },
  ".cm-content": { caretColor: "var(--ink)" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--ink)" },
  ".cm-gutters": { background: "var(--bg)", color: "var(--muted)", borderRight: "1px solid var(--line)" },
  ".cm-activeLine": { background: "color-mix(in srgb, var(--accent) 6%, transparent)" },
  ".cm-activeLineGutter": { background: "color-mix(in srgb, var(--accent) 12%, transparent)" },
  ".cm-tooltip": { background: "var(--panel)", color: "var(--ink)", border: "1px solid var(--line)", borderRadius: "6px" },
  ".cm-tooltip-hover": { padding: "6px 9px", maxWidth: "420px", fontSize: "12px" },
  ".cm-tooltip.cm-tooltip-autocomplete > ul": { fontFamily: "var(--mono)", maxHeight: "16em" },
  ".cm-tooltip.cm-tooltip-autocomplete > ul > li[aria-selected]": { background: "var(--accent)", color: "var(--accent-ink)" },
  ".cm-completionDetail": { color: "inherit", opacity: 0.7, marginLeft: "1em" },
  ".cm-completionInfo": { padding: "6px 9px", maxWidth: "360px", fontSize: "12px" },
  ".cm-completionSection": { fontSize: "11px", color: "var(--muted)", textTransform: "uppercase", letterSpacing: ".04em", paddingLeft: "6px" },
  ".cm-config-hint-path": { fontFamily: "var(--mono)", fontWeight: "600", marginBottom: "2px" },
  ".cm-config-hint p": { margin: "4px 0 0" },
  ".hint-required": { color: "var(--bad)" },
  ".hint-optional, .hint-unknown": { color: "var(--muted)" },
  ".cm-diagnostic": { whiteSpace: "pre-wrap" },
  ".cm-placeholder": { color: "var(--muted)" },
});

/** No-break spaces (in text pasted from web pages and chats, and put in by some input methods
 * for runs of spaces) are not indentation to YAML: read them as plain spaces. Same length, so
 * positions in the document stay valid. */
function plain(text: string): string {
  return text.replace(/\u00a0/g, " ");
}

/** Turn the editor's no-break spaces into plain ones in place (same length: the selection
 * stays where it is). */
function plainSpaces(view: EditorView): void {
  const text = view.state.doc.toString();
  const changes = [];
  for (let i = text.indexOf("\u00a0"); i >= 0; i = text.indexOf("\u00a0", i + 1)) changes.push({ from: i, to: i + 1, insert: " " });
  if (changes.length) view.dispatch({ changes, selection: view.state.selection });
}

export default function ConfigEditor({ value, onChange, schema, errors, onSubmit, id, label, describedBy }: ConfigEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef({ onChange, onSubmit, schema });
  latest.current = { onChange, onSubmit, schema };
  const emitted = useRef<string | null>(null);

  useEffect(() => {
    const dark = new Compartment();
    const root = () => latest.current.schema as Schema | undefined;
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(), highlightActiveLineGutter(), lintGutter(), history(), drawSelection(), indentOnInput(),
          bracketMatching(), highlightActiveLine(), indentUnit.of("  "), EditorState.tabSize.of(2),
          yaml(), syntaxHighlighting(highlight), look, dark.of(EditorView.darkTheme.of(resolvedTheme() === "dark")),
          placeholder("ops:\n  my_op:\n    config: ..."),
          autocompletion({ override: [completeConfig(root)], icons: false, activateOnTypingDelay: 80 }),
          hoverConfig(root),
          Prec.highest(keymap.of([
            { key: "Mod-Enter", run: () => { latest.current.onSubmit(); return true; } },
            { key: "Tab", run: acceptCompletion },
            { key: "Escape", run: closeCompletion },
          ])),
          keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
          EditorView.contentAttributes.of({ id, "aria-label": label, ...(describedBy ? { "aria-describedby": describedBy } : {}) }),
          EditorView.updateListener.of((u) => {
            if (!u.docChanged) return;
            const text = u.state.doc.toString();
            emitted.current = plain(text);
            latest.current.onChange(emitted.current);
            if (text !== emitted.current) window.setTimeout(() => plainSpaces(u.view), 0);
          }),
        ],
      }),
    });
    view.current = v;
    const stop = onThemeChange(() => v.dispatch({ effects: dark.reconfigure(EditorView.darkTheme.of(resolvedTheme() === "dark")) }));
    return () => {
      stop();
      v.destroy();
      view.current = null;
    };
    // The view is made once; later values come through the effects below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // A value set from outside (scaffold, prefill) replaces the text; the editor's own text
  // coming back (`emitted`) is left alone, or a keystroke made since would be undone.
  useEffect(() => {
    const v = view.current;
    if (!v || value === emitted.current || v.state.doc.toString() === value) return;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const v = view.current;
    if (v) v.dispatch(setDiagnostics(v.state, diagnose(plain(v.state.doc.toString()), errors)));
  }, [errors, value]);

  return <div ref={host} className="config-editor" data-testid="config-editor" />;
}
