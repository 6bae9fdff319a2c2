// FAST (under the UI toolkit) probes :focus-visible support at load by inserting a <style>; under
// our CSP that element needs the page's nonce, which FAST reads from <meta property="csp-nonce">.
// Our own <script> carries the nonce, so we publish it there before the toolkit loads (toolkit.ts
// imports this module first). Without it the probe is blocked, a CSP violation is logged, and the
// toolkit's focus rings fall back to :focus (shown on mouse clicks too).
const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce;
if (nonce && !document.querySelector('meta[property="csp-nonce"]')) {
  const meta = document.createElement('meta');
  meta.setAttribute('property', 'csp-nonce');
  meta.setAttribute('content', nonce);
  document.head.append(meta);
}

export {};
