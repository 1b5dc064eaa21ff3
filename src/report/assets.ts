/** The report's inline stylesheet and script (no external fonts, images or code). */

export const REPORT_CSS = `
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f6f7f9;--card:#fff;--accent:#3b528b;--hit:#0072B2;--below:#D55E00;--above:#56B4E9;--capped:#E69F00;color-scheme:light}
*{box-sizing:border-box}
html{background:var(--bg)}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);-webkit-print-color-adjust:exact;print-color-adjust:exact}
header{background:linear-gradient(120deg,#2a1b4a 0%,#31446f 55%,#21706b 100%);color:#fff;padding:26px max(24px,calc((100vw - 1180px)/2)) 22px}
.kicker{text-transform:uppercase;letter-spacing:.08em;font-size:12px;opacity:.8}
h1{margin:4px 0 16px;font-size:26px;font-weight:650}
h1 .file{font-weight:450;opacity:.92}
.cards{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:12px}
.cards li{background:rgba(255,255,255,.12);border:1px solid rgba(255,255,255,.2);border-radius:10px;padding:10px 16px;min-width:140px;display:flex;flex-direction:column}
.cards li.good{box-shadow:inset 4px 0 0 #7fd3ff}
.cards li.bad{box-shadow:inset 4px 0 0 #ffb07a}
.cards .v{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
.cards .l{font-size:12px;opacity:.85}
.cards .nt{font-size:11px;opacity:.7}
main{max-width:1180px;margin:0 auto;padding:8px 24px 24px}
section{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:16px 20px;margin:16px 0;break-inside:avoid-page}
h2{font-size:16px;margin:0 0 10px;display:flex;align-items:center;gap:10px;flex-wrap:wrap}
h2 .count{background:#eef0f4;color:var(--muted);border-radius:999px;padding:0 9px;font-size:12px;font-weight:600}
.pill{border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600;background:#eef0f4;border-left:4px solid}
.pill.v-hit{border-color:var(--hit)}.pill.v-below{border-color:var(--below)}.pill.v-above{border-color:var(--above)}.pill.v-capped{border-color:var(--capped)}
figure{margin:6px 0 14px}
svg.chart{display:block;width:100%;height:auto;overflow:visible}
svg.chart text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#4b5563}
svg.chart .ylab{font-weight:600;fill:#374151}
svg.chart .grid{stroke:#eceef2;stroke-width:1}
svg.chart .rules line{stroke:#d1d5db;stroke-dasharray:2 3}
svg.chart .ln{fill:none;stroke-width:1.6;stroke-linejoin:round}
svg.chart .env{opacity:.22;stroke:none}
svg.chart .seg{stroke-width:3;stroke-linecap:butt}
svg.chart .hl{stroke-width:1.6;stroke-dasharray:6 4}
svg.chart .hlt{font-weight:700;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg.chart .tol{fill:#9ca3af;opacity:.16}
svg.chart .ticks line{stroke:#111827;stroke-width:2.2}
svg.chart .bar:hover,svg.timeline .band:hover{opacity:.8}
svg.timeline .band{stroke:#fff;stroke-width:.6}
svg.timeline a:focus{outline:none}
svg.timeline a:focus .band{stroke:#111;stroke-width:2.5}
svg.timeline text.dk{fill:#1f2937;font-weight:600}
svg.timeline text.lt{fill:#fff;font-weight:600}
svg .mk{fill:#1f2937}
svg .mk.hollow{fill:#fff;stroke:#1f2937;stroke-width:1.6}
svg.phases{height:28px;border-radius:6px}
.key{display:flex;flex-wrap:wrap;gap:8px 28px;align-items:center;margin:4px 0 2px 5.8%}
.ramp{display:flex;align-items:center;gap:6px;font-size:12px;color:var(--muted)}
.ramp i{display:inline-block;width:150px;height:10px;border-radius:3px}
.ramp em{font-style:normal;margin-left:6px}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px;margin:4px 0 0 5.8%;padding:0;font-size:12px;color:#4b5563}
.legend li{display:flex;align-items:center;gap:5px}
.legend.kinds{margin:0}
.film{list-style:none;display:grid;grid-template-columns:repeat(auto-fill,minmax(128px,1fr));gap:10px;padding:0;margin:14px 0 0}
.film li{border-radius:8px;overflow:hidden;background:#111;border-bottom:5px solid var(--c)}
.film a{display:block;color:#fff;text-decoration:none}
.film img{display:block;width:100%;aspect-ratio:16/9;object-fit:cover}
.film .noimg{display:grid;place-items:center;aspect-ratio:16/9;color:#9ca3af;font-size:12px}
.film .cap{display:block;padding:4px 8px;font-size:12px;background:#1f2937}
.film a:focus-visible{outline:3px solid #fde725;outline-offset:-3px}
.table-wrap{overflow:auto;max-height:70vh;border:1px solid var(--line);border-radius:8px}
.table-wrap:focus-visible{outline:2px solid var(--accent)}
table{border-collapse:separate;border-spacing:0;font-size:12.5px;font-variant-numeric:tabular-nums}
table.scenes{table-layout:fixed}
table.scenes.more{content-visibility:auto}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
table.scenes td,table.scenes tbody th{text-align:right;overflow:hidden}
table.scenes td.s{text-align:left}
caption{caption-side:top;text-align:left;padding:8px 10px;color:var(--muted);font-size:12px}
th,td{padding:4px 10px;border-bottom:1px solid #f0f1f4;white-space:nowrap;text-align:left}
td.n,th.n{text-align:right}
thead th{position:sticky;top:0;background:#f3f4f7;z-index:1;vertical-align:bottom;border-bottom:1px solid var(--line);font-weight:600;white-space:normal;min-width:56px}
thead th button{all:unset;cursor:pointer;display:block;overflow-wrap:normal;word-break:normal;font:inherit;color:#374151}
thead th button:focus-visible{outline:2px solid var(--accent);outline-offset:2px;border-radius:2px}
thead th[aria-sort=ascending] button::after{content:" ▲";color:var(--accent)}
thead th[aria-sort=descending] button::after{content:" ▼";color:var(--accent)}
tbody tr:hover{background:#f8fafc}
tbody tr:target{background:#fff7d6}
tbody th{font-weight:600}
tr.v-hit>:first-child{box-shadow:inset 4px 0 0 var(--hit)}
tr.v-below>:first-child{box-shadow:inset 4px 0 0 var(--below)}
tr.v-above>:first-child{box-shadow:inset 4px 0 0 var(--above)}
tr.v-capped>:first-child{box-shadow:inset 4px 0 0 var(--capped)}
tr.v-below td.vd{color:#b34700;font-weight:600}
tr.v-capped td.vd{color:#8a5a00;font-weight:600}
tr.v-hit td.vd{color:#005a8c}
td.th{padding:2px 6px}
td.th img{display:block;height:36px;border-radius:3px}
table.small{margin-top:8px}
.arrow{color:var(--muted);font-size:11px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}
dt{color:var(--muted)}
dd{margin:0;word-break:break-word;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.muted{color:var(--muted)}
.note{font-size:12px;margin:8px 0 0}
.warn{border-color:#f4c27a;background:#fffaf0}
footer{max-width:1180px;margin:0 auto;padding:4px 24px 32px;color:var(--muted);font-size:12px}
a{color:var(--accent)}
@media print{
  html,body{background:#fff}
  header{background:#fff;color:var(--ink);padding:0 0 8px;border-bottom:2px solid var(--ink)}
  .cards li{background:#fff;border-color:#d1d5db}
  main{max-width:none;padding:0}
  section{border:none;padding:6px 0;margin:8px 0}
  .table-wrap{max-height:none;overflow:visible;border:none}
  thead th{position:static}
  table.scenes{font-size:9px}
  th,td{padding:2px 4px}
  thead th[aria-sort] button::after{content:""}
  .film{grid-template-columns:repeat(6,1fr)}
}
`.trim();

/** Sorting of `table.sortable` by its header buttons (keyboard: the buttons take Enter and Space). */
export const REPORT_JS = `
(function(){
  function key(row,c){var cell=row.cells[c];var t=cell.getAttribute('data-v');if(t===null)t=cell.textContent;var n=parseFloat(t);return isNaN(n)?t:n}
  document.querySelectorAll('.table-wrap').forEach(function(wrap){
    var tables=Array.prototype.slice.call(wrap.querySelectorAll('table.sortable'));
    if(!tables.length)return;
    var heads=tables.map(function(t){return Array.prototype.slice.call(t.tHead.rows[0].cells)});
    heads[0].forEach(function(_,c){
      heads.forEach(function(ths){
        var b=ths[c].querySelector('button');if(!b)return;
        b.addEventListener('click',function(){
          var asc=ths[c].getAttribute('aria-sort')!=='ascending';
          heads.forEach(function(h){h.forEach(function(th,k){if(k===c)th.setAttribute('aria-sort',asc?'ascending':'descending');else th.removeAttribute('aria-sort')})});
          var sizes=tables.map(function(t){return t.tBodies[0].rows.length});
          var rows=[];tables.forEach(function(t){rows.push.apply(rows,t.tBodies[0].rows)});
          var keys=new Map();rows.forEach(function(r){keys.set(r,key(r,c))});
          rows.sort(function(a,b){var x=keys.get(a),y=keys.get(b),d;
            if(typeof x==='number'&&typeof y==='number')d=x-y;else if(typeof x==='number')d=-1;else if(typeof y==='number')d=1;else d=String(x).localeCompare(String(y));
            if(d===0)d=(+a.getAttribute('data-scene'))-(+b.getAttribute('data-scene'));
            return asc?d:-d});
          var i=0;tables.forEach(function(t,k){var frag=document.createDocumentFragment();for(var n=0;n<sizes[k];n++)frag.appendChild(rows[i++]);t.tBodies[0].appendChild(frag)});
        });
      });
    });
  });
})();
`.trim();
