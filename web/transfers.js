// Files in and out of the sandbox, over the session's socket.
//
// - Uploads: files dropped on the page or picked with the Upload button
//   go to the shell's working directory in 64 KiB pieces (`upload`), each
//   sent after the last one's acknowledgement, so progress is real and the
//   server's quota answers before the next piece leaves.
// - Downloads: `download FILE` in the shell sends a `download` event (a
//   click on a file `ls` listed calls `download` here); the file is read
//   in pieces (`read-file`) and saved by the browser.
'use strict';

(function () {
  const PIECE_BYTES = 64 * 1024;
  const ACK_TIMEOUT_MS = 30000;

  const percent = (done, total) => (total ? Math.floor((100 * done) / total) : 100);

  function sizeText(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  }

  async function ask(socket, event, payload) {
    const reply = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload);
    if (!reply || reply.error) throw new Error(reply ? reply.error : `${event}: no answer`);
    return reply;
  }

  async function upload(socket, file, report) {
    let offset = 0;
    do {
      const data = await file.slice(offset, offset + PIECE_BYTES).arrayBuffer();
      await ask(socket, 'upload', { name: file.name, offset, data });
      offset += data.byteLength;
      report(`uploading ${file.name}: ${percent(offset, file.size)}%`, 'busy');
    } while (offset < file.size);
    report(`uploaded ${file.name} (${sizeText(file.size)})`, 'done');
  }

  async function download(socket, path, name, report) {
    const pieces = [];
    let offset = 0;
    let size = Infinity;
    while (offset < size) {
      const reply = await ask(socket, 'read-file', { path, offset });
      const data = new Uint8Array(reply.data);
      size = reply.size;
      if (!data.byteLength) break;
      pieces.push(data);
      offset += data.byteLength;
      report(`downloading ${name}: ${percent(offset, size)}%`, 'busy');
    }
    const url = URL.createObjectURL(new Blob(pieces, { type: 'application/octet-stream' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    report(`downloaded ${name} (${sizeText(offset)})`, 'done');
  }

  // Wires the page: drops, the Upload button and `download` events.
  // Returns `{ download(path) }`.
  // `report(text, state)` shows progress ('busy', 'done' or 'failed').
  function attach({ socket, dropTarget, button, picker, report }) {
    let queue = Promise.resolve();
    const inTurn = (work) => {
      queue = queue.then(work).catch((error) => report(error.message, 'failed'));
    };
    const uploadAll = (files) => {
      for (const file of files) inTurn(() => upload(socket, file, report));
    };
    button.addEventListener('click', () => picker.click());
    picker.addEventListener('change', () => {
      uploadAll([...picker.files]);
      picker.value = '';
    });
    dropTarget.addEventListener('dragover', (event) => {
      event.preventDefault();
      dropTarget.classList.add('dropping');
    });
    dropTarget.addEventListener('dragleave', () => dropTarget.classList.remove('dropping'));
    dropTarget.addEventListener('drop', (event) => {
      event.preventDefault();
      dropTarget.classList.remove('dropping');
      uploadAll([...(event.dataTransfer?.files || [])]);
    });
    const save = (path) => {
      const name = path.split('/').pop() || 'download';
      inTurn(() => download(socket, path, name, report));
    };
    socket.on('download', ({ path }) => save(String(path)));
    return { download: save };
  }

  window.PolyrunTransfers = { attach };
})();
