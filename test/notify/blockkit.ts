// Structural checks for the Block Kit subset we emit, with Slack's documented limits.
// Returns a list of problems so a failing test says exactly what is wrong.

const TEXT_TYPES = new Set(['plain_text', 'mrkdwn']);

export function blockKitProblems(payload: unknown): string[] {
  const problems: string[] = [];
  const p = payload as { text?: unknown; blocks?: unknown };
  if (typeof p.text !== 'string' || p.text === '') problems.push('text fallback missing');
  if (!Array.isArray(p.blocks)) return [...problems, 'blocks is not an array'];
  if (p.blocks.length === 0 || p.blocks.length > 50) problems.push(`blocks length ${p.blocks.length}`);
  p.blocks.forEach((b: Record<string, unknown>, i) => {
    const at = `blocks[${i}]`;
    const text = (t: unknown, where: string, max: number, plain = false) => {
      const o = t as { type?: string; text?: unknown };
      if (!o || !TEXT_TYPES.has(o.type ?? '')) problems.push(`${where}.type invalid`);
      if (plain && o?.type !== 'plain_text') problems.push(`${where} must be plain_text`);
      if (typeof o?.text !== 'string' || o.text.length === 0) problems.push(`${where}.text empty`);
      else if (o.text.length > max) problems.push(`${where}.text longer than ${max}`);
    };
    switch (b.type) {
      case 'header':
        text(b.text, `${at}.text`, 150, true);
        break;
      case 'section':
        if (b.text === undefined && b.fields === undefined) problems.push(`${at} has neither text nor fields`);
        if (b.text !== undefined) text(b.text, `${at}.text`, 3000);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length > 10) problems.push(`${at}.fields invalid`);
          else b.fields.forEach((f, j) => text(f, `${at}.fields[${j}]`, 2000));
        }
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) problems.push(`${at}.elements invalid`);
        else b.elements.forEach((e, j) => text(e, `${at}.elements[${j}]`, 3000));
        break;
      case 'divider':
        break;
      default:
        problems.push(`${at}.type ${String(b.type)} not allowed`);
    }
  });
  return problems;
}
