/* A page's client of the event socket /ws/events/ (protocol: docs/websocket.md).
 *
 * Catch-up by event id (`?last_id=` of the last event seen), a ping every 15 s (a socket silent
 * for 45 s is closed and reopened), reconnection with back-off (at once after 4409, when what the
 * user may hear changed), and a reload after 4401 (signed out: the page shows the sign-in form
 * rather than retrying credentials that no longer work). Pages give `onMessage(message)` and
 * `onState("live" | "reconnecting")`; pongs are handled here. Returns a live object whose
 * `lastId` and `socket` tests may read. */
(function () {
  "use strict";
  const CLOSE_SIGNED_OUT = 4401, CLOSE_AUDIENCES_CHANGED = 4409;
  window.gridopsLiveSocket = function (path, { lastId = 0, onMessage, onState = () => {} }) {
    const live = { lastId, socket: null, pongAt: 0, connects: 0 };
    let backoff = 500, pingTimer = null;
    function open() {
      live.connects += 1;
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      // batch=1: several events may come in one frame, as a JSON array (docs/websocket.md).
      const socket = new WebSocket(proto + "//" + location.host + path + "?batch=1&last_id=" + live.lastId);
      live.socket = socket;
      socket.onopen = () => {
        backoff = 500; live.pongAt = Date.now(); clearInterval(pingTimer);
        pingTimer = setInterval(() => {
          if (Date.now() - live.pongAt > 45000) { socket.close(); return; }
          socket.send(JSON.stringify({ type: "ping", t: Date.now() }));
        }, 15000);
      };
      function take(message) {
        if (message.kind === "realtime.pong") { live.pongAt = Date.now(); return; }
        if (message.kind === "realtime.hello") onState("live");
        if (message.id !== undefined) live.lastId = Math.max(live.lastId, message.id);
        onMessage(message);
      }
      socket.onmessage = (e) => {
        const data = JSON.parse(e.data);
        (Array.isArray(data) ? data : [data]).forEach(take);
      };
      socket.onclose = (e) => {
        clearInterval(pingTimer); onState("reconnecting");
        if (e.code === CLOSE_SIGNED_OUT) { setTimeout(() => location.reload(), 5000); return; }
        setTimeout(open, e.code === CLOSE_AUDIENCES_CHANGED ? 0 : backoff);
        backoff = Math.min(backoff * 2, 10000);
      };
    }
    window.addEventListener("online", () => { if (live.socket && live.socket.readyState > 1) open(); });
    open();
    return live;
  };
})();
