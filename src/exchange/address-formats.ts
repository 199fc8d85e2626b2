import { type AddressRule, bitcoinCash, bitcoinLike, cardano, evm, solana, stellar, ton, tron, xrp } from "./address-chains.js";
import { fail, type FormatFailure } from "./address-codecs.js";

/** What checking an exchange's address (and tag) against its network found. */
export type AddressCheck =
  | { readonly result: "valid" }
  /** No rule for this network: only what any stored address must be was checked. */
  | { readonly result: "not_checked" }
  | ({ readonly result: "invalid" } & FormatFailure);

type TagRule = (tag: string) => FormatFailure | undefined;

/**
 * XRP destination tags are 32-bit unsigned integers
 * (https://xrpl.org/docs/concepts/transactions/source-and-destination-tags), in decimal.
 */
const xrpTag: TagRule = (tag) =>
  /^(0|[1-9][0-9]{0,9})$/.test(tag) && Number(tag) <= 0xffffffff ? undefined : fail("tag", "an XRP destination tag is a 32-bit unsigned decimal number");

/**
 * A Stellar memo is MEMO_ID (uint64) or MEMO_TEXT (at most 28 bytes), per the
 * Memo union of https://github.com/stellar/stellar-xdr/blob/curr/Stellar-transaction.x;
 * every uint64 in decimal fits in 28 bytes, so the byte length decides.
 */
const stellarMemo: TagRule = (tag) => (Buffer.byteLength(tag, "utf8") <= 28 ? undefined : fail("tag", "a Stellar memo is at most 28 bytes"));

interface NetworkRule {
  readonly address: AddressRule;
  readonly tag?: TagRule;
}

/**
 * Bitcoin chainparams (https://github.com/bitcoin/bitcoin/blob/master/src/kernel/chainparams.cpp):
 * P2PKH 0, P2SH 5, HRP "bc"; testnet 111, 196, "tb".
 */
const BTC = bitcoinLike({ hrp: "bc", versions: [0x00, 0x05] }, { hrp: "tb", versions: [0x6f, 0xc4] });
/**
 * Litecoin chainparams (https://github.com/litecoin-project/litecoin/blob/master/src/chainparams.cpp):
 * P2PKH 48 ("L"), P2SH 50 ("M") and the old 5 ("3"), HRP "ltc"; testnet 111, 58, 196, "tltc".
 */
const LTC = bitcoinLike({ hrp: "ltc", versions: [0x30, 0x32, 0x05] }, { hrp: "tltc", versions: [0x6f, 0x3a, 0xc4] });
/** Dogecoin chainparams (https://github.com/dogecoin/dogecoin/blob/master/src/chainparams.cpp): P2PKH 30 ("D"), P2SH 22; testnet 113, 196; no segwit. */
const DOGE = bitcoinLike({ versions: [0x1e, 0x16] }, { versions: [0x71, 0xc4] });

/**
 * The networks whose addresses are checked, by canonical code (networks.ts).
 * The EVM chains share Ethereum's address format; tokens on a chain share
 * its addresses (USDT on TRC20 is a TRON address).
 */
const RULES: ReadonlyMap<string, NetworkRule> = new Map(Object.entries({
  BTC: { address: BTC },
  LTC: { address: LTC },
  DOGE: { address: DOGE },
  BCH: { address: bitcoinCash },
  ERC20: { address: evm },
  BEP20: { address: evm },
  POLYGON: { address: evm },
  ARB: { address: evm },
  OP: { address: evm },
  BASE: { address: evm },
  AVAXC: { address: evm },
  TRC20: { address: tron },
  XRP: { address: xrp, tag: xrpTag },
  XLM: { address: stellar, tag: stellarMemo },
  SOL: { address: solana },
  TON: { address: ton },
  ADA: { address: cardano },
} satisfies Record<string, NetworkRule>));

/** The networks with a validator, for docs and tests. */
export const CHECKED_NETWORKS: readonly string[] = [...RULES.keys()];

/** What the address column holds (varchar 255). */
const MAX_ADDRESS = 255;
/** What the tag column holds (varchar 100). */
const MAX_TAG = 100;

/**
 * Checks an address an exchange answered for `network` (and its tag, when
 * it gave one) before it is stored or handed out: users send money to it.
 * Every network gets the checks any stored address must pass (printable
 * ASCII, no spaces, at most 255 characters; a tag without control
 * characters, at most 100); a network with a rule also its format and
 * checksum, and its tag format where the chain defines one. `testnet`
 * (sandbox accounts) also admits test-network forms; otherwise only mainnet.
 */
export function checkDepositAddress(network: string, address: unknown, tag: unknown, options: { readonly testnet: boolean }): AddressCheck {
  const rule = RULES.get(network);
  const failure = checkStorable(address, tag) ?? checkRule(rule, address as string, tag as string | undefined, options.testnet);
  if (failure) return { result: "invalid", ...failure };
  return { result: rule ? "valid" : "not_checked" };
}

function checkStorable(address: unknown, tag: unknown): FormatFailure | undefined {
  if (typeof address !== "string" || address.length === 0) return fail("format", "no address");
  if (address.length > MAX_ADDRESS) return fail("format", `longer than ${MAX_ADDRESS} characters`);
  if (!/^[\x21-\x7e]+$/.test(address)) return fail("format", "characters other than printable ASCII");
  if (tag === undefined || tag === null || tag === "") return undefined;
  if (typeof tag !== "string") return fail("tag", "not text");
  if (tag.length > MAX_TAG) return fail("tag", `longer than ${MAX_TAG} characters`);
  if (/[\p{Cc}\p{Cs}]/u.test(tag) || tag.trim() !== tag) return fail("tag", "control characters or surrounding spaces");
  return undefined;
}

function checkRule(rule: NetworkRule | undefined, address: string, tag: string | undefined, testnet: boolean): FormatFailure | undefined {
  if (!rule) return undefined;
  return rule.address(address, testnet) ?? (tag && rule.tag ? rule.tag(tag) : undefined);
}
