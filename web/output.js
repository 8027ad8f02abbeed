// What program output may do in the terminal: text with colours, pictures
// in iTerm2's inline image protocol (`show FILE`, `plt.show()`), and links
// to sandbox files (`ls`), which download them when clicked.
//
// - `outputFilter()` removes OSC, DCS, APC, PM and SOS strings (window
//   titles, web links, clipboard access, ...) from output, across chunk
//   boundaries, except inline pictures, which it hands back separately,
//   and links to sandbox files. Colours and cursor movement (CSI) pass
//   through.
// - `drawPicture(term, sequence)` draws one: PNG, JPEG and GIF through
//   xterm.js's image addon; SVG is first rasterised here, as an <img>
//   (which runs no script and fetches nothing), then drawn as a PNG.
'use strict';

(function () {
  const PICTURE_PREFIX = '1337;File=';
  // A hyperlink (OSC 8) is kept only to a sandbox file, or to end one.
  const LINK_PREFIX = '8;;';
  const FILE_SCHEME = 'polyrun-file:';
  const MAX_LINK_CHARS = 8192;
  // A picture's sequence, at most: 8 MiB in base64 and its header.
  const MAX_PICTURE_CHARS = 12 * 1024 * 1024;
  // Rasterised SVG is at most this wide and high.
  const MAX_SVG_PIXELS = 2048;

  const isStringEnd = (text, i) => text[i] === '\x07' || text[i] === '\x1b' || text.charCodeAt(i) === 0x9c;

  // Whether an OSC string read so far may still be one that is kept: a
  // picture, or a link (`8;;` and a sandbox file's address, or nothing).
  function mayBeKept(osc) {
    if (PICTURE_PREFIX.startsWith(osc) || osc.startsWith(PICTURE_PREFIX)) return true;
    if (!osc.startsWith(LINK_PREFIX)) return LINK_PREFIX.startsWith(osc);
    const address = osc.slice(LINK_PREFIX.length);
    return osc.length <= MAX_LINK_CHARS && (FILE_SCHEME.startsWith(address) || address.startsWith(FILE_SCHEME));
  }

  function outputFilter() {
    let state = 'text'; // text | escape | string | stringEscape
    let kept = null; // the OSC string read so far, while it may be kept
    return (text) => {
      const parts = [];
      let out = '';
      const finish = () => {
        if (kept !== null && kept.startsWith(PICTURE_PREFIX) && kept.length > PICTURE_PREFIX.length) {
          if (out) parts.push(out);
          out = '';
          parts.push({ picture: kept });
        } else if (kept === LINK_PREFIX || (kept !== null && kept.startsWith(LINK_PREFIX + FILE_SCHEME))) {
          out += `\x1b]${kept}\x07`;
        }
        kept = null;
      };
      for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        const code = text.charCodeAt(i);
        switch (state) {
          case 'text':
            if (ch === '\x1b') state = 'escape';
            else if (code === 0x90 || code === 0x98 || code === 0x9d || code === 0x9e || code === 0x9f) state = 'string';
            else out += ch;
            break;
          case 'escape':
            if (ch === ']') {
              state = 'string';
              kept = '';
            } else if (ch === 'P' || ch === '_' || ch === '^' || ch === 'X') state = 'string';
            else {
              out += '\x1b' + ch;
              state = 'text';
            }
            break;
          case 'string':
            if (ch === '\x07' || code === 0x9c) {
              finish();
              state = 'text';
            } else if (ch === '\x1b') state = 'stringEscape';
            else if (kept !== null && kept.length >= PICTURE_PREFIX.length && kept.startsWith(PICTURE_PREFIX)) {
              // A picture's data: taken up to its end in one piece.
              let end = i;
              while (end < text.length && !isStringEnd(text, end)) end++;
              kept += text.slice(i, end);
              if (kept.length > MAX_PICTURE_CHARS) kept = null;
              i = end - 1;
            } else if (kept !== null) {
              kept += ch;
              if (!mayBeKept(kept)) kept = null;
            }
            break;
          case 'stringEscape':
            if (ch === '\\') {
              finish();
              state = 'text';
            } else {
              kept = null;
              state = 'string';
            }
            break;
        }
      }
      if (out) parts.push(out);
      return parts;
    };
  }

  // The sandbox path a file link names, or null for any other link.
  const linkedFile = (uri) => (uri.startsWith(FILE_SCHEME) ? decodeURIComponent(uri.slice(FILE_SCHEME.length)) : null);

  // The picture's kind, from its first bytes.
  function kindOf(base64) {
    let head = '';
    try {
      head = atob(base64.slice(0, 16));
    } catch {
      return 'unknown';
    }
    if (head.startsWith('\x89PNG')) return 'png';
    if (head.startsWith('\xff\xd8\xff')) return 'jpeg';
    if (head.startsWith('GIF8')) return 'gif';
    return 'svg?';
  }

  const decodedLength = (base64) =>
    (base64.length / 4) * 3 - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);

  // SVG as a PNG (base64), or null when it cannot be drawn.
  function rasterise(svgBase64) {
    return new Promise((resolve) => {
      const image = new Image();
      const timer = setTimeout(() => resolve(null), 5000);
      const done = (result) => {
        clearTimeout(timer);
        resolve(result);
      };
      image.onload = () => {
        try {
          let width = image.naturalWidth || 300;
          let height = image.naturalHeight || 150;
          const scale = Math.min(1, MAX_SVG_PIXELS / width, MAX_SVG_PIXELS / height);
          width = Math.max(1, Math.round(width * scale));
          height = Math.max(1, Math.round(height * scale));
          const canvas = document.createElement('canvas');
          canvas.width = width;
          canvas.height = height;
          canvas.getContext('2d').drawImage(image, 0, 0, width, height);
          const url = canvas.toDataURL('image/png');
          done(url.slice(url.indexOf(',') + 1));
        } catch {
          done(null);
        }
      };
      image.onerror = () => done(null);
      image.src = 'data:image/svg+xml;base64,' + svgBase64;
    });
  }

  // Draws an inline picture sequence (without its ESC ] and BEL). Returns
  // a promise when drawing waits for rasterising (output after it should
  // wait too), else nothing.
  function drawPicture(term, sequence, complain) {
    const colon = sequence.indexOf(':');
    if (colon < 0) return undefined;
    const header = sequence.slice(PICTURE_PREFIX.length, colon);
    const data = sequence.slice(colon + 1);
    if (!/(^|;)inline=1(;|$)/.test(header)) return undefined;
    if (kindOf(data) !== 'svg?') {
      term.write(`\x1b]${sequence}\x07`);
      return undefined;
    }
    return rasterise(data).then((png) => {
      if (png) term.write(`\x1b]${PICTURE_PREFIX}size=${decodedLength(png)};inline=1:${png}\x07`);
      else complain('this picture cannot be shown (not a PNG, JPEG, GIF or SVG)');
    });
  }

  window.PolyrunOutput = { outputFilter, drawPicture, linkedFile };
})();
