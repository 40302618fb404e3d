/* In-browser check of a GridOps ledger receipt: the same RFC 6962 / RFC 9162 steps as
   gridops/ledger/merkle.py and verify.py, on WebCrypto. Exposes window.LedgerVerify. */
(function () {
  "use strict";
  const subtle = window.crypto && window.crypto.subtle;
  const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
  const unhex = (s) => new Uint8Array((s.match(/../g) || []).map((h) => parseInt(h, 16)));
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const sha256 = async (bytes) => new Uint8Array(await subtle.digest("SHA-256", bytes));
  const leafHash = (leaf) => sha256(concat(Uint8Array.of(0), leaf));
  const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));
  const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

  async function rootFromInclusion(leaf, index, size, proof) {
    if (!(index >= 0 && index < size) || leaf.length !== 32) return null;
    let fn = BigInt(index), sn = BigInt(size - 1), r = leaf;
    for (const p of proof) {
      if (p.length !== 32 || sn === 0n) return null;
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n; sn >>= 1n;
    }
    return sn === 0n ? r : null;
  }

  function headBytes(head) {
    const buf = new DataView(new ArrayBuffer(18));
    buf.setUint8(0, 0); buf.setUint8(1, 1);
    buf.setBigUint64(2, BigInt(head.timestamp_ms)); buf.setBigUint64(10, BigInt(head.tree_size));
    return concat(new Uint8Array(buf.buffer), unhex(head.root_hash));
  }

  async function verifySignature(head, publicKeyB64) {
    try {
      const key = await subtle.importKey("raw", b64(publicKeyB64), { name: "Ed25519" }, false, ["verify"]);
      return await subtle.verify({ name: "Ed25519" }, key, b64(head.signature), headBytes(head));
    } catch (e) {
      return null; /* this browser has no Ed25519 in WebCrypto */
    }
  }

  /* Steps: leaf → its hash; the proof → the signed root; the signature with the published key. */
  async function verifyReceipt(receipt, publicKeyB64) {
    const steps = [];
    if (!subtle) return { ok: false, steps: [{ name: "webcrypto", ok: false }] };
    const leaf = b64(receipt.entry.leaf);
    const computedLeaf = await leafHash(leaf);
    steps.push({ name: "leaf", ok: hex(computedLeaf) === receipt.entry.leaf_hash });
    const proof = receipt.inclusion.proof.map(unhex);
    const root = await rootFromInclusion(computedLeaf, receipt.entry.index, receipt.inclusion.tree_size, proof);
    steps.push({ name: "inclusion", ok: root !== null && equal(root, unhex(receipt.head.root_hash)) &&
                 receipt.inclusion.tree_size === receipt.head.tree_size });
    steps.push({ name: "signature", ok: await verifySignature(receipt.head, publicKeyB64) });
    const record = JSON.parse(new TextDecoder().decode(leaf));
    return { ok: steps.every((s) => s.ok !== false) && steps.some((s) => s.name === "signature" && s.ok), steps, record };
  }

  async function fileSha256(file) { return hex(await sha256(new Uint8Array(await file.arrayBuffer()))); }

  window.LedgerVerify = { verifyReceipt, fileSha256, hex, leafHash, nodeHash, rootFromInclusion };
})();
