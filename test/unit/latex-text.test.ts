import { describe, expect, it } from 'vitest';
import { latexToText } from '../../services/core/digest/latex-text.js';
import { fixturePapers } from '../helpers/digest-fixtures.js';

// The abstracts below are quoted from real papers: the Hugging Face fixtures in test/fixtures
// and the arXiv API answer in the shared fixtures (api-2026-04-30-cs.LG-OR-cs.AI-max20.xml).
describe('latexToText', () => {
  it.each([
    // 2403.13248 (HF 2024-03-21)
    ["no other video generation models have paralleled {Sora}'s performance", "no other video generation models have paralleled Sora's performance"],
    // 2602.02472 (HF 2026-02-03)
    ['we propose SPARKLING (balancing {S}ignal {P}reservation {A}nd symmet{R}y brea{K}ing for width-progressive {L}earn{ING})',
      'we propose SPARKLING (balancing Signal Preservation And symmetRy breaKing for width-progressive LearnING)'],
    // arXiv titles and abstracts
    ['A Note on How to Remove the $\\ln\\ln T$ Term from the Squint Bound', 'A Note on How to Remove the ln ln T Term from the Squint Bound'],
    ['to remove the $\\ln \\ln T$ factor', 'to remove the ln ln T factor'],
    ['as the number of samples $n \\to \\infty$. However', 'as the number of samples n → ∞. However'],
    ['the optimal rate of decay is roughly $1/\\sqrt{n}$.', 'the optimal rate of decay is roughly 1/√n.'],
    ['behave as Associative Memories (AMs) $\\textit{with emergent creative capabilities}$.', 'behave as Associative Memories (AMs) with emergent creative capabilities.'],
    ['token recovery of $\\textit{training}$ and $\\textit{test}$ examples', 'token recovery of training and test examples'],
    ['changing the prior in the Krichevsky--Trofimov algorithm', 'changing the prior in the Krichevsky–Trofimov algorithm'],
    // 2602.02214 (HF 2026-02-03): a link given twice
    ['Project page and the code: https://thu-ml.github.io/CausalForcing.github.io/{https://thu-ml.github.io/CausalForcing.github.io/}',
      'Project page and the code: https://thu-ml.github.io/CausalForcing.github.io/'],
    // 2602.02214, 2602.01296 (HF 2026-02-03): escapes
    ['improves accuracy by 12.5\\% \\& more', 'improves accuracy by 12.5% & more'],
  ])('%s', (source, expected) => {
    expect(latexToText(source)).toBe(expected);
  });

  it('sets common Greek letters, symbols, scripts and fractions as characters', () => {
    expect(latexToText('$\\alpha$-scaling with $\\beta \\leq 0.5$ and $\\Omega(\\log n)$')).toBe('α-scaling with β ≤ 0.5 and Ω(log n)');
    expect(latexToText('runs in $O(n^2)$ and $O(n^{1.5})$ with $x_{t+1}$, $W^{T}$ and $\\frac{1}{2}$')).toBe(
      'runs in O(n²) and O(n^1.5) with x_t+1, Wᵀ and 1/2',
    );
    expect(latexToText('$\\mathbb{R}^d$, $\\times 3$, \\url{https://x.org/a_b}')).toBe('R^d, × 3, https://x.org/a_b');
  });

  it('keeps what is not markup: money, spaced braces, underscores in names, unknown words', () => {
    expect(latexToText('costs $5 and $10 a month')).toBe('costs $5 and $10 a month');
    expect(latexToText('labels in {0, 1} and the gpt_oss model')).toBe('labels in {0, 1} and the gpt_oss model');
    expect(latexToText('the \\textsc{Bench} suite and \\newcommand')).toBe('the Bench suite and newcommand');
    expect(latexToText('plain text, no markup at all')).toBe('plain text, no markup at all');
  });

  it('leaves no braces, backslashes or dollar delimiters in any recorded paper', () => {
    for (const day of ['2024-03-21', '2026-02-03', '2026-08-13'] as const) {
      for (const paper of fixturePapers(day)) {
        for (const text of [paper.title, paper.abstract, paper.aiSummary ?? '']) expect(latexToText(text), paper.id).not.toMatch(/[\\{}]|\$[^\d\s]/);
      }
    }
  });
});
