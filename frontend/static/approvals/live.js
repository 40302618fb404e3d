/* Live hall queues: the realtime websocket when signed in, polling otherwise (public screens).
 * GridOpsApprovals.listen(onQueue) calls onQueue(payload) for every `hall.queue` event. */
(function () {
  "use strict";
  function listen(onQueue, opts) {
    opts = opts || {};
    let lastId = null, backoff = 500, stopped = false;
    function connect() {
      if (stopped) return;
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      const socket = new WebSocket(proto + "//" + location.host + "/ws/events/" + (lastId ? "?last_id=" + lastId : ""));
      socket.onopen = () => { backoff = 500; };
      socket.onmessage = (e) => {
        const msg = JSON.parse(e.data);
        if (msg.id) lastId = msg.id;
        // "live" once the server says hello: its subscriptions are in place, so no later event is missed
        if (msg.kind === "realtime.hello") { if (!lastId) lastId = msg.latest_id; if (opts.onStatus) opts.onStatus("live"); }
        if (msg.kind === "hall.queue") onQueue(msg.payload);
      };
      socket.onclose = (e) => {
        if (e.code === 4401) { if (opts.onStatus) opts.onStatus("polling"); if (opts.poll) opts.poll(); return; }
        if (opts.onStatus) opts.onStatus("reconnecting");
        setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 5000);
      };
    }
    if (opts.authenticated) connect();
    else if (opts.poll) { if (opts.onStatus) opts.onStatus("polling"); opts.poll(); }
    return { stop() { stopped = true; } };
  }
  function minutes(seconds) { return seconds == null ? "–" : (seconds / 60).toFixed(1); }
  window.GridOpsApprovals = Object.assign(window.GridOpsApprovals || {}, { listen, minutes });
})();
