/**
 * The widget's stylesheet, applied inside its shadow root so host page CSS neither leaks in
 * nor gets overridden. Host pages may theme it through the `--beckon-accent` custom property
 * on the `beckon-widget` element.
 */
export const WIDGET_CSS = `
:host{all:initial}
.root{--accent:var(--beckon-accent,#2454d6);--ink:#1d2433;--muted:#667085;--line:#e4e7ec;
position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;flex-direction:column;align-items:flex-end;gap:12px;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);-webkit-font-smoothing:antialiased}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
button,input{font:inherit;color:inherit}
button{cursor:pointer}
.launcher{position:relative;width:56px;height:56px;border:0;border-radius:50%;background:var(--accent);color:#fff;
display:grid;place-items:center;box-shadow:0 6px 20px rgba(16,24,40,.25);transition:transform .15s}
.launcher:hover{transform:scale(1.06)}
.launcher:focus-visible,.card button:focus-visible,.card a:focus-visible{outline:3px solid #9db5f5;outline-offset:2px}
.launcher svg{width:26px;height:26px}
.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#e0324b;
color:#fff;font-size:12px;font-weight:600;line-height:20px;text-align:center}
.card{background:#fff;border:1px solid var(--line);border-radius:14px;box-shadow:0 12px 32px rgba(16,24,40,.18)}
.bubble{position:relative;width:300px;max-width:calc(100vw - 40px);padding:16px 16px 14px;animation:rise .2s ease-out}
.bubble p{margin:0 28px 8px 0;white-space:pre-wrap;overflow-wrap:anywhere}
.bubble .text{font-weight:600}
.bubble .follow{color:var(--muted)}
.bubble form{display:grid;gap:8px;margin-top:10px}
.media{display:block;max-width:calc(100% - 28px);max-height:180px;margin:0 0 10px;border-radius:8px}
.buttons{display:flex;flex-wrap:wrap;gap:6px}
.buttons>*{border:1px solid var(--accent);border-radius:16px;padding:5px 12px;background:#fff;color:var(--accent);
font:inherit;text-decoration:none}
.x{position:absolute;top:8px;right:8px;width:28px;height:28px;border:0;border-radius:50%;background:transparent;color:var(--muted);
font-size:20px;line-height:28px}
.x:hover{background:#f2f4f7}
input{width:100%;padding:8px 10px;border:1px solid var(--line);border-radius:8px;background:#fff;outline:none}
input:focus{border-color:var(--accent);box-shadow:0 0 0 3px rgba(36,84,214,.15)}
.primary{border:0;border-radius:8px;padding:8px 14px;background:var(--accent);color:#fff;font-weight:600}
.primary:hover{filter:brightness(1.08)}
.panel{width:360px;max-width:calc(100vw - 40px);height:480px;max-height:calc(100vh - 120px);display:flex;flex-direction:column;
overflow:hidden;animation:rise .2s ease-out}
.panel header{position:relative;padding:14px 48px 12px 16px;background:var(--accent);color:#fff}
.panel header strong{display:block;font-size:16px}
.panel header .state{font-size:12px;opacity:.85}
.panel header .x{color:#fff;top:12px}
.panel header .x:hover{background:rgba(255,255,255,.15)}
.messages{flex:1;margin:0;padding:16px;list-style:none;overflow-y:auto;display:flex;flex-direction:column;gap:8px;background:#f9fafb}
.messages:empty::before{content:"Ask us anything: we usually reply within minutes.";margin:auto;color:var(--muted);text-align:center}
.messages li{max-width:80%;padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.messages .operator{align-self:flex-start;background:#fff;border:1px solid var(--line);border-bottom-left-radius:4px}
.messages .visitor{align-self:flex-end;background:var(--accent);color:#fff;border-bottom-right-radius:4px}
.messages .pending{opacity:.6}
.messages .failed{opacity:1;outline:2px solid #b42318;outline-offset:1px}
.messages .failed button{display:block;margin-top:4px;border:0;border-radius:6px;padding:2px 8px;background:#fff;color:#b42318;font:inherit;font-size:12px;cursor:pointer}
.messages .invite{font-style:italic}
.messages .note{align-self:center;color:var(--muted);font-size:13px}
.rating{display:flex;flex-wrap:wrap;align-items:center;gap:6px;padding:10px 16px;border-top:1px solid var(--line)}
.rating span{flex-basis:100%;color:var(--muted);font-size:13px}
.rating button{flex:1;border:1px solid var(--line);border-radius:8px;padding:6px 8px;background:#fff}
.rating button:hover{border-color:var(--accent)}
.composer{display:flex;gap:8px;padding:12px;border-top:1px solid var(--line);background:#fff}
@keyframes rise{from{opacity:0;transform:translateY(8px)}to{opacity:1;transform:none}}
@media (max-width:480px){.root{right:12px;bottom:12px}.panel{height:calc(100vh - 100px)}}
@media (prefers-reduced-motion:reduce){.bubble,.panel{animation:none}.launcher{transition:none}}
`
