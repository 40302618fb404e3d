/* The tablet's offline event-type search: the server's ranking (gridops/incidents/search.py and
 * selectors.event_types_search) applied to the catalogue the tablet keeps, with the syllables and
 * English words the server computed for each name. A browser test compares its answers with the
 * API's for the same queries, so online and offline rank alike ("jg" → 井盖 first). */
(function () {
  "use strict";

  // Per name: initials and full pinyin with the character each letter belongs to (build_entry).
  function entryOf(t) {
    const syllables = t.pinyin || [];
    const e = { t, name: t.name, initials: "", iniPos: [], full: "", fullPos: [], starts: new Set(), english: t.english || [] };
    syllables.forEach((syl, index) => {
      if (!syl) return;
      e.initials += syl[0]; e.iniPos.push(index);
      e.starts.add(e.full.length);
      for (let k = 0; k < syl.length; k++) e.fullPos.push(index);
      e.full += syl;
    });
    return e;
  }

  const cmp = (a, b) => {  // tuples of numbers and strings, like Python's sort
    for (let i = 0; i < a.length; i++) {
      if (a[i] < b[i]) return -1;
      if (a[i] > b[i]) return 1;
    }
    return 0;
  };

  function makeIndex(types) {
    const entries = types.map(entryOf);
    const names = entries.map((e) => e.name);
    const freqMemo = new Map();
    const frequency = (term) => {
      if (!freqMemo.has(term)) freqMemo.set(term, names.reduce((n, name) => n + (name.includes(term) ? 1 : 0), 0));
      return freqMemo.get(term);
    };
    function bestMatch(e, q) {
      let best = null;
      [[e.initials, e.iniPos, null], [e.full, e.fullPos, e.starts]].forEach(([text, positions, boundaries]) => {
        let start = text.indexOf(q);
        while (start !== -1) {
          if (!boundaries || boundaries.has(start)) {
            const first = positions[start], last = positions[start + q.length - 1];
            const term = e.name.slice(first, last + 1);
            const score = [term.length > 1 ? -frequency(term) : 0, first];
            if (!best || cmp(score, best.score) < 0) best = { score, first, term };
          }
          start = text.indexOf(q, start + 1);
        }
      });
      return best;
    }
    function englishPosition(e, q) {
      for (let i = 0; i < e.english.length; i++) {
        const phrase = e.english[i];
        if (phrase.startsWith(q) || phrase.split(/\s+/).some((w) => w.startsWith(q))) return i;
      }
      return null;
    }
    function latin(query) {
      const words = query.toLowerCase().split(/\s+/).filter(Boolean);
      const q = query.toLowerCase().replace(/[^a-z0-9]/g, "");
      if (!q) return [];
      const english = q.length >= 3 ? words.join(" ") : "";
      const ranked = [];
      entries.forEach((e) => {
        const hit = bestMatch(e, q);
        if (!hit) {
          const position = english ? englishPosition(e, english) : null;
          if (position !== null) ranked.push([[2, 0, position, e.name.length, e.t.code], e.t]);
          return;
        }
        const exact = q === e.initials || q === e.full ? 0 : 1;
        const freq = hit.term.length > 1 ? frequency(hit.term) : 0;
        ranked.push([[exact, -freq, hit.first, e.name.length, e.t.code], e.t]);
      });
      return ranked.sort((a, b) => cmp(a[0], b[0])).map(([, t]) => t);
    }
    function chinese(text) {
      const inOrder = new RegExp(Array.from(text.replace(/\s+/g, ""))
        .map((ch) => ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*"));
      const rank = (t) => (t.name === text ? 0 : t.name.startsWith(text) ? 1 : t.name.includes(text) ? 2
        : (t.keywords || "").includes(text) ? 3 : inOrder.test(t.name) ? 4 : 99);
      return types.map((t) => [[rank(t), t.code], t]).filter(([key]) => key[0] < 99)
        .sort((a, b) => cmp(a[0], b[0])).map(([, t]) => t);
    }
    // The server's branches: digits → code prefix, ASCII → pinyin then English, else Chinese.
    return function search(query) {
      const text = (query || "").trim();
      if (!text) return types.slice();
      if (/^\d+$/.test(text)) return types.filter((t) => t.code.startsWith(text)).sort((a, b) => (a.code < b.code ? -1 : 1));
      if (/^[\x00-\x7f]*$/.test(text)) return latin(text);
      return chinese(text);
    };
  }

  window.gridopsTypeSearch = { makeIndex };
})();
