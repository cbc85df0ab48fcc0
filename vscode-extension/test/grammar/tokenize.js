// Tokenizes with vscode-textmate + vscode-oniguruma: the engine VS Code itself uses.
const fs = require("node:fs");
const path = require("node:path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const GRAMMAR = path.join(__dirname, "../../syntaxes/neural.tmLanguage.json");
const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
const onigLib = oniguruma.loadWASM(wasm).then(() => ({
  createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
  createOnigString: (s) => new oniguruma.OnigString(s),
}));
const registry = new vsctm.Registry({
  onigLib,
  loadGrammar: async (scope) => (scope === "source.neural" ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, "utf8"), GRAMMAR) : null),
});
const grammarP = registry.loadGrammar("source.neural");

/**
 * Tokenizes a whole program line by line (carrying the rule stack, as the editor does).
 * Returns [{line, tokens: [[text, innermostScope, allScopes]]}], plus the final rule stack.
 */
async function tokenizeProgram(text) {
  const grammar = await grammarP;
  let stack = vsctm.INITIAL;
  const lines = text.split(/\r?\n/).map((line) => {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    return { line, tokens: r.tokens.map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes.at(-1), t.scopes]) };
  });
  // The state after an empty line at top level: what a complete program must end in.
  const initial = grammar.tokenizeLine("", vsctm.INITIAL).ruleStack;
  return { lines, endStack: stack, initial };
}

/** Tokens of one line (or a program), without whitespace-only and bare `source.neural` ones. */
async function scopes(text) {
  const { lines } = await tokenizeProgram(text);
  return lines.flatMap((l) => l.tokens).filter(([s, scope]) => s.trim() !== "" && scope !== "source.neural").map(([s, scope]) => [s.trim(), scope]);
}

/** The innermost scope of the first token whose text is `word` (after `nth` earlier ones). */
async function scopeOf(text, word, nth = 0) {
  const found = (await scopes(text)).filter(([s]) => s === word);
  return found[nth]?.[1];
}

module.exports = { tokenizeProgram, scopes, scopeOf, GRAMMAR };
