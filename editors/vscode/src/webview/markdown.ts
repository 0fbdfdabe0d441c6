// Markdown of the agent's replies: markdown-it with raw HTML off (HTML a model writes shows as
// text) and images turned into links (a reply must not make the view fetch anything). The
// webview sanitizes the result again with DOMPurify before it reaches the DOM.
import MarkdownIt from "markdown-it";

export function createMarkdown(): MarkdownIt.MarkdownIt {
  const md = new MarkdownIt({ html: false, linkify: true, breaks: false, typographer: false });
  md.renderer.rules.image = (tokens, index, options, env, self) => {
    const token = tokens[index];
    const src = String(token.attrGet("src") ?? "");
    const alt = self.renderInlineAsText(token.children ?? [], options, env) || src;
    return `<a href="${md.utils.escapeHtml(src)}">${md.utils.escapeHtml(alt)}</a>`;
  };
  return md;
}
