/**
 * Reading text for LaTeX-flavoured titles and abstracts: arXiv abstracts are written for TeX,
 * so without this a card says "paralleled {Sora}'s" or "$\ln \ln T$". Pure and conservative:
 * the markup an abstract really uses becomes what it stands for (`{Sora}` → `Sora`, `$\alpha$`
 * → `α`, `$O(n^2)$` → `O(n²)`, `\textit{x}` → `x`), and anything it does not understand loses
 * only its backslash and braces, never its words. Output is plain text; renderers escape it.
 */

/** Commands that stand for a character (Greek letters, common operators and arrows). */
const SYMBOLS: Readonly<Record<string, string>> = {
  alpha: 'α', beta: 'β', gamma: 'γ', delta: 'δ', epsilon: 'ε', varepsilon: 'ε', zeta: 'ζ', eta: 'η', theta: 'θ',
  vartheta: 'ϑ', iota: 'ι', kappa: 'κ', lambda: 'λ', mu: 'μ', nu: 'ν', xi: 'ξ', pi: 'π', rho: 'ρ', sigma: 'σ',
  tau: 'τ', upsilon: 'υ', phi: 'φ', varphi: 'φ', chi: 'χ', psi: 'ψ', omega: 'ω',
  Gamma: 'Γ', Delta: 'Δ', Theta: 'Θ', Lambda: 'Λ', Xi: 'Ξ', Pi: 'Π', Sigma: 'Σ', Upsilon: 'Υ', Phi: 'Φ', Psi: 'Ψ', Omega: 'Ω',
  times: '×', cdot: '·', pm: '±', mp: '∓', div: '÷', leq: '≤', le: '≤', geq: '≥', ge: '≥', neq: '≠', ne: '≠',
  approx: '≈', sim: '~', simeq: '≃', equiv: '≡', propto: '∝', ll: '≪', gg: '≫', infty: '∞', partial: '∂', nabla: '∇',
  sum: '∑', prod: '∏', int: '∫', sqrt: '√', in: '∈', notin: '∉', subset: '⊂', subseteq: '⊆', cup: '∪', cap: '∩',
  emptyset: '∅', forall: '∀', exists: '∃', neg: '¬', wedge: '∧', vee: '∨', ell: 'ℓ', circ: '∘', star: '⋆',
  to: '→', rightarrow: '→', leftarrow: '←', Rightarrow: '⇒', Leftarrow: '⇐', leftrightarrow: '↔', mapsto: '↦',
  uparrow: '↑', downarrow: '↓', ldots: '…', dots: '…', cdots: '⋯', mid: '|', vert: '|', langle: '⟨', rangle: '⟩',
  deg: '°', degree: '°', textdegree: '°', S: '§', dag: '†', ast: '*', prime: '′',
  // Words typeset upright in formulas: the name reads as itself.
  ln: 'ln', log: 'log', exp: 'exp', sin: 'sin', cos: 'cos', tan: 'tan', max: 'max', min: 'min', arg: 'arg',
  argmax: 'argmax', argmin: 'argmin', lim: 'lim', sup: 'sup', inf: 'inf', det: 'det', dim: 'dim', Pr: 'Pr',
  LaTeX: 'LaTeX', TeX: 'TeX',
};

/** Spacing commands: a space or nothing. */
const SPACES: Readonly<Record<string, string>> = { ',': ' ', ';': ' ', ':': ' ', '!': '', ' ': ' ', quad: ' ', qquad: ' ' };

const SUPERSCRIPTS: Readonly<Record<string, string>> = {
  '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹',
  '+': '⁺', '-': '⁻', '=': '⁼', '(': '⁽', ')': '⁾', n: 'ⁿ', i: 'ⁱ', T: 'ᵀ',
};
const SUBSCRIPTS: Readonly<Record<string, string>> = {
  '0': '₀', '1': '₁', '2': '₂', '3': '₃', '4': '₄', '5': '₅', '6': '₆', '7': '₇', '8': '₈', '9': '₉',
  '+': '₊', '-': '₋', '=': '₌', '(': '₍', ')': '₎',
};

// Escaped characters are parked on private-use code points while markup is undone, so `\$`,
// `\{` and friends are never read as math delimiters or groups.
const ESCAPES = ['$', '%', '&', '_', '#', '{', '}'] as const;
const park = (char: string) => String.fromCharCode(0xe000 + ESCAPES.indexOf(char as (typeof ESCAPES)[number]));
const PARKED = /[\ue000-\ue006]/g;
const unpark = (text: string) => text.replace(PARKED, (char) => ESCAPES[char.charCodeAt(0) - 0xe000]!);

/** A braced group, one level of nesting allowed: `{a{b}c}`. */
const GROUP = String.raw`\{((?:[^{}]|\{[^{}]*\})*)\}`;

function scripted(body: string, map: Readonly<Record<string, string>>, marker: string): string {
  const chars = [...body];
  return chars.length > 0 && chars.every((char) => map[char]) ? chars.map((char) => map[char]).join('') : `${marker}${body}`;
}

/** Commands every context shares: text styles keep their argument, known names become characters. */
function undoCommands(text: string): string {
  let out = text;
  // \frac{a}{b} → a/b, \sqrt{x} → √x, and styles (\textit{x}, \mathbf{x}, ...) → x, innermost first.
  for (let previous = ''; previous !== out; ) {
    previous = out;
    out = out
      .replace(new RegExp(String.raw`\\[dt]?frac\s*${GROUP}\s*${GROUP}`, 'g'), (_, a: string, b: string) => `${a}/${b}`)
      .replace(new RegExp(String.raw`\\sqrt\s*${GROUP}`, 'g'), (_, a: string) => ([...a].length > 1 ? `√(${a})` : `√${a}`))
      .replace(new RegExp(String.raw`\\(?:url|text\w*|math\w*|emph|operatorname\*?|mbox|hbox|bm|boldsymbol|textsc|underline|overline|hat|bar|tilde|vec|widehat|widetilde|dot)\s*${GROUP}`, 'g'), '$1');
  }
  return out
    .replace(/\\([,;:! ])/g, (_, space: string) => SPACES[space]!)
    .replace(/\\(?:left|right|big|Big|bigg|Bigg)(?![a-zA-Z])\s*/g, '')
    .replace(/\\([a-zA-Z]+)/g, (_, name: string, offset: number, whole: string) => {
      const symbol = SYMBOLS[name] ?? SPACES[name];
      if (symbol === undefined) return name; // unknown: its name reads better than a backslash
      // Operator names run into what follows in the source ("\ln\ln T"): TeX spaces them, so do we.
      return /^[a-zA-Z]+$/.test(symbol) && /^[a-zA-Z\\]/.test(whole.slice(offset + name.length + 1)) ? `${symbol} ` : symbol;
    });
}

/** One formula (the inside of `$...$`) as text. */
function mathToText(math: string): string {
  let out = undoCommands(math.trim())
    .replace(new RegExp(String.raw`\^\s*(?:${GROUP}|([^\s{]))`, 'g'), (_, group?: string, char?: string) => scripted(group ?? char!, SUPERSCRIPTS, '^'))
    .replace(new RegExp(String.raw`_\s*(?:${GROUP}|([^\s{]))`, 'g'), (_, group?: string, char?: string) => scripted(group ?? char!, SUBSCRIPTS, '_'));
  out = out.replace(/[{}]/g, '');
  return out.replace(/\s+/g, ' ').trim();
}

/** A brace without its partner is a leftover of markup cut apart upstream ("forgetting} during"). */
function dropUnmatchedBraces(text: string): string {
  const unmatched = new Set<number>();
  const open: number[] = [];
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '{') open.push(i);
    else if (text[i] === '}') {
      if (open.length > 0) open.pop();
      else unmatched.add(i);
    }
  }
  for (const i of open) unmatched.add(i);
  if (unmatched.size === 0) return text;
  return text.split('').filter((_, i) => !unmatched.has(i)).join('');
}

/**
 * Text as a reader should see it: math set as characters, groups and commands gone, escapes
 * undone. Text with no backslash, brace or dollar comes back unchanged.
 */
export function latexToText(source: string): string {
  if (!/[\\{}$`']|--/.test(source)) return source;
  let text = source.replace(/\\([$%&_#{}])/g, (_, char: string) => park(char));
  // $...$ and $$...$$ are formulas when the inside neither starts nor ends with a space, so
  // "costs $5 and $10" stays money.
  text = text.replace(/\${1,2}(?!\s)([^$]{1,300}?)(?<!\s)\${1,2}/g, (_, math: string) => mathToText(math));
  text = text.replace(/\\\((.{1,300}?)\\\)/g, (_, math: string) => mathToText(math));
  text = undoCommands(text);
  // A link written twice, the second time in braces (what is left of \href{url}{url}), is given once.
  text = text.replace(/(https?:\/\/[^\s{}]+)\{\1\}/g, '$1').replace(/\{(https?:\/\/[^\s{}]+)\}/g, '$1');
  // Grouping braces around a word ("{Sora}'s", "{S}ignal") go; a brace with spaces inside
  // ("{0, 1}", JSON) is prose and stays.
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(/\{([^{}\s"':]*)\}/g, '$1');
  }
  text = dropUnmatchedBraces(text)
    .replace(/``|''/g, (quote) => (quote === '``' ? '“' : '”'))
    .replace(/(?<=\w)---?(?=\w)/g, (dashes) => (dashes === '---' ? '—' : '–'));
  return unpark(text);
}
