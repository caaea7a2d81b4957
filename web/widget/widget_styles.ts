/**
 * The widget's stylesheet, applied inside its shadow root so host page CSS neither leaks in
 * nor gets overridden. Host pages may theme it through the `--beckon-accent` custom property
 * on the `beckon-widget` element.
 */
export const WIDGET_CSS = `
:host{all:initial}
.root{--accent:var(--beckon-accent,#2454d6);--ink:#1d2433;--muted:#5d6679;--line:#e4e7ec;
position:fixed;right:20px;bottom:20px;z-index:2147483000;display:flex;flex-direction:column;align-items:flex-end;gap:12px;
font:14px/1.45 system-ui,sans-serif;color:var(--ink)}
*{box-sizing:border-box}
[hidden]{display:none!important}
button,input,textarea{font:inherit;color:inherit}
button{cursor:pointer}
button:hover{filter:brightness(.93)}
.launcher{position:relative;width:56px;height:56px;border:0;border-radius:50%;background:var(--accent);color:#fff;
display:grid;place-items:center;box-shadow:0 6px 20px #10182840}
:focus-visible{outline:3px solid #7d9cf0;outline-offset:2px}
.launcher svg{width:26px;height:26px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#d42a43;
color:#fff;font-size:12px;font-weight:600;line-height:20px}
.card{background:#fff;border:1px solid var(--line);border-radius:14px;box-shadow:0 12px 32px #1018282e;animation:rise .2s ease-out}
.bubble{position:relative;width:300px;max-width:calc(100vw - 24px);padding:16px}
.bubble p{margin:0 28px 8px 0;white-space:pre-wrap;overflow-wrap:anywhere}
.bubble .text{font-weight:600}
.follow,.typing,.offline p,.note{color:var(--muted)}
form{display:grid;gap:8px}
.bubble form{margin-top:10px}
.media{display:block;max-width:calc(100% - 28px);max-height:180px;margin:0 0 10px;border-radius:8px}
.buttons{display:flex;flex-wrap:wrap;gap:6px}
.buttons>*{border:1px solid var(--accent);border-radius:16px;padding:5px 12px;background:#fff;color:var(--accent);text-decoration:none}
.x{position:absolute;top:8px;right:8px;width:32px;height:32px;border:0;border-radius:50%;background:0 0;color:var(--muted);font-size:20px}
input,textarea{width:100%;padding:8px 10px;border:1px solid #8a93a6;border-radius:8px;background:#fff;outline:0;resize:vertical}
[aria-invalid=true]{border-color:#b42318}
label{display:grid;gap:2px;color:var(--muted)}
.primary{border:0;border-radius:8px;padding:8px 14px;background:var(--accent);color:#fff;font-weight:600}
.primary:disabled{opacity:.7}
.panel{width:360px;max-width:calc(100vw - 24px);height:480px;max-height:calc(100vh - 120px);display:flex;flex-direction:column;overflow:hidden}
header{position:relative;padding:14px 48px 12px 16px;background:var(--accent);color:#fff}
header strong{display:block;font-size:16px}
.state{font-size:12px}
header .x{color:#fff;top:12px}
.messages{flex:1;margin:0;padding:16px;list-style:none;overflow-y:auto;display:flex;flex-direction:column;gap:8px;background:#f9fafb}
.messages:empty::before{content:"Ask us anything: we usually reply within minutes.";margin:auto;color:var(--muted);text-align:center}
li{max-width:80%;padding:8px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}
.operator{align-self:flex-start;background:#fff;border:1px solid var(--line);border-bottom-left-radius:4px}
.visitor{align-self:flex-end;background:var(--accent);color:#fff;border-bottom-right-radius:4px}
.pending{opacity:.6}
.failed{opacity:1;outline:2px solid #b42318;outline-offset:1px}
.failed button{display:block;margin-top:4px;border:0;border-radius:6px;padding:2px 8px;background:#fff;color:#b42318;font-size:12px}
.invite{font-style:italic}
.note{align-self:center;padding:2px 8px;font-size:13px;text-align:center}
.typing{margin:0;padding:4px 16px;font-size:12px}
.rating{display:flex;flex-wrap:wrap;align-items:center;gap:6px;padding:10px 16px;border-top:1px solid var(--line)}
.rating span{flex-basis:100%;color:var(--muted);font-size:13px}
.rating button{flex:1;border:1px solid var(--line);border-radius:8px;padding:6px 8px;background:#fff}
.composer{display:flex;gap:8px;padding:12px;border-top:1px solid var(--line)}
.offline{flex:1;overflow-y:auto;padding:16px;align-content:start}
.offline p{margin:0}
.offline .error{color:#b42318}
.done{margin:auto;padding:24px;text-align:center}
.offline,.done,.panel:not([data-view=chat]) :is(.composer,.rating,.messages:empty){display:none}
[data-view=offline] .offline{display:grid}
[data-view=sent] .done{display:block}
.sr{position:fixed;clip-path:inset(50%)}
@keyframes rise{from{opacity:0;transform:translateY(8px)}}
@media (max-width:480px){.root{right:12px;bottom:12px}
.panel{position:fixed;inset:0;width:auto;max-width:none;height:auto;max-height:none;border:0;border-radius:0}
:host(.open) .launcher{display:none}
.composer{padding-bottom:max(12px,env(safe-area-inset-bottom))}
input,textarea{font-size:16px}}
@media (prefers-reduced-motion:reduce){.card{animation:none}}
`
