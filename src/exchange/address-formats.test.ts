import { describe, expect, it } from "vitest";
import { CHECKED_NETWORKS, checkDepositAddress } from "./address-formats.js";

const mainnet = { testnet: false };
const sandbox = { testnet: true };
const check = (network: string, address: unknown, tag?: unknown, options = mainnet) => checkDepositAddress(network, address, tag, options);

/**
 * Real addresses and published test vectors, each with whether its format
 * carries a checksum (a changed character must then fail; Solana, TON's raw
 * form and one-case EVM addresses have none).
 */
const VALID: readonly (readonly [network: string, address: string, checksummed: boolean, source: string])[] = [
  ["BTC", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", true, "BIP-173/350 valid, v0 P2WPKH"],
  ["BTC", "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", true, "BIP-173 valid, v0 P2WSH"],
  ["BTC", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", true, "BIP-350 valid, v1 taproot"],
  ["BTC", "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", true, "cashaddr spec's legacy twin, P2PKH"],
  ["BTC", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", true, "Bitcoin wiki Base58Check example"],
  ["BTC", "3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC", true, "cashaddr spec's legacy twin, P2SH"],
  ["ERC20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", true, "EIP-55"],
  ["ERC20", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", true, "EIP-55"],
  ["BEP20", "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", true, "EIP-55"],
  ["POLYGON", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb", true, "EIP-55"],
  ["ARB", "0x52908400098527886E0F7030069857D2E4169EE7", false, "EIP-55, all caps"],
  ["OP", "0xde709f2102306220921060314715629080e2fb77", false, "EIP-55, all lower"],
  ["TRC20", "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL", true, "TRON docs' example account"],
  ["TRC20", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", true, "USDT's TRC20 contract"],
  ["XRP", "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", true, "XRPL genesis account"],
  ["XRP", "rrrrrrrrrrrrrrrrrrrrrhoLvTp", true, "XRPL ACCOUNT_ZERO"],
  ["SOL", "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", false, "SPL Token program"],
  ["SOL", "11111111111111111111111111111111", false, "System program (32 zero bytes)"],
  ["LTC", "LV7LV7Z4bWDEjYkfx9dQo6k6RjGbXsg6hS", true, "P2PKH (L)"],
  ["LTC", "MGEW4aba3tnrVtVhGcmoqqHaLt5ymPSLPi", true, "P2SH (M)"],
  ["LTC", "ltc1qxtm55gultqzhqzl2p3ks50hg2478y3hehuj6dz", true, "segwit v0"],
  ["DOGE", "DEa7damK8MsbdCJztidBasZKVsDLJifWfE", true, "P2PKH (D)"],
  ["DOGE", "DDWUYQ3GfMDj8hkx8cbnAMYkTzzAunAQxg", true, "P2PKH (D)"],
  ["BCH", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", true, "cashaddr spec, P2KH"],
  ["BCH", "qr95sy3j9xwd2ap32xkykttr4cvcu7as4y0qverfuy", true, "cashaddr spec, P2KH without prefix"],
  ["BCH", "BITCOINCASH:PPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVN0H829PQ", true, "cashaddr spec, P2SH, upper case"],
  ["BCH", "1KXrWXciRDZUpQwQmuM1DbwsKDLYAYsVLR", true, "cashaddr spec's legacy twin"],
  ["TON", "EQDKbjIcfM6ezt8KjKJJLshZJJSqX7XOA4ff-W72r5gqPrHF", true, "TON cookbook, bounceable url-safe"],
  ["TON", "0:ca6e321c7cce9ecedf0a8ca2492ec8592494aa5fb5ce0387dff96ef6af982a3e", false, "TON cookbook, raw"],
  ["ADA", "addr1qx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzer3n0d3vllmyqwsx5wktcd8cc3sq835lu7drv2xwl2wywfgse35a3x", true, "CIP-19 type 0"],
  ["ADA", "addr1x8phkx6acpnf78fuvxn0mkew3l0fd058hzquvz7w36x4gt7r0vd4msrxnuwnccdxlhdjar77j6lg0wypcc9uar5d2shskhj42g", true, "CIP-19 type 3"],
  ["ADA", "addr1gx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzer5pnz75xxcrzqf96k", true, "CIP-19 type 4, pointer"],
  ["ADA", "addr1vx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzers66hrl8", true, "CIP-19 type 6, enterprise"],
  ["ADA", "Ae2tdPwUPEZDMm8GdfnY8ibhFPd5GBjyRARL7A5DbatemFheedMwB4WTj7z", true, "Byron Icarus"],
  ["ADA", "DdzFFzCqrht4ybJ28wRbUNyjGGYESYGJDdB1i1NYbdxGazyhLYvqURa7GNQ1w5k7sx6tuuoGxYt8SQmZdmjrRyKFXCcbkmHaBZTtf3pD", true, "Byron Daedalus"],
  ["XLM", "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ", true, "SEP-23 account id"],
];

/** Another character of the same alphabet at position `i`, so only the checksum can tell. */
function changeOneChar(address: string, i: number): string {
  const alphabet = [...new Set(address.replace(/^0x/, ""))].filter((c) => /[0-9a-zA-Z]/.test(c));
  const old = address[i]!;
  const replacement = alphabet.find((c) => c !== old && (c.toLowerCase() === c) === (old.toLowerCase() === old)) ?? alphabet.find((c) => c !== old)!;
  return address.slice(0, i) + replacement + address.slice(i + 1);
}

describe("checkDepositAddress: known-valid addresses", () => {
  it.each(VALID)("%s %s is valid (%s)", (network, address) => {
    expect(check(network, address)).toEqual({ result: "valid" });
  });

  it("covers the networks the issue names and every network it claims to check", () => {
    for (const n of ["BTC", "ERC20", "TRC20", "BEP20", "XRP", "SOL", "LTC", "TON", "DOGE", "BCH", "ADA"]) expect(CHECKED_NETWORKS).toContain(n);
    for (const n of CHECKED_NETWORKS) expect(VALID.some(([network]) => network === n) || ["BASE", "AVAXC"].includes(n), n).toBe(true);
  });
});

describe("checkDepositAddress: corrupted twins", () => {
  it.each(VALID.filter(([, , checksummed]) => checksummed))("%s %s fails with one character changed anywhere", (network, address) => {
    const skip = network === "ERC20" || network === "BEP20" || network === "POLYGON" ? 2 : address.indexOf(":") + 1;
    for (let i = Math.max(skip, 4); i < address.length; i += 3) {
      const changed = changeOneChar(address, i);
      expect(check(network, changed), changed).toMatchObject({ result: "invalid", failed: expect.stringMatching(/checksum|format/) });
    }
  });

  it.each(VALID)("%s %s fails truncated, with a NUL byte, with a space, or doubled", (network, address) => {
    if (network !== "SOL") expect(check(network, address.slice(0, -1))).toMatchObject({ result: "invalid" });
    expect(check(network, `${address}\u0000`)).toMatchObject({ result: "invalid", failed: "format" });
    expect(check(network, `${address.slice(0, 5)}\u0000${address.slice(5)}`)).toMatchObject({ result: "invalid", failed: "format" });
    expect(check(network, ` ${address}`)).toMatchObject({ result: "invalid", failed: "format" });
    expect(check(network, address + address)).toMatchObject({ result: "invalid" });
  });

  it("refuses EIP-55 mixed case with one letter's case flipped", () => {
    expect(check("ERC20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")).toMatchObject({ result: "invalid", failed: "checksum" });
    expect(check("BEP20", "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")).toMatchObject({ result: "invalid", failed: "checksum" });
    expect(check("ERC20", "0X5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")).toMatchObject({ result: "invalid", failed: "format" });
    expect(check("ERC20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe")).toMatchObject({ result: "invalid", failed: "format" });
    expect(check("ERC20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg")).toMatchObject({ result: "invalid", failed: "format" });
  });

  it("refuses BIP-173 and BIP-350's invalid addresses, and valid segwit of versions not in use", () => {
    for (const address of [
      "tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty",
      "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
      "BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2",
      "bc1rw5uspcuh",
      "bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
      "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
      "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",
      "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
      "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv",
      "bc1gmk9yu",
      "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
      "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
      "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
      "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
      "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
      "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
      "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
      "bc1pw5dgrnzv",
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
      "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
      "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
      "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
      // BIP-350 valid, refused: v1 of 40 bytes, v16, v2 (anyone can spend them today).
      "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
      "BC1SW50QGDZ25J",
      "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
    ]) {
      expect(check("BTC", address, undefined, sandbox), address).toMatchObject({ result: "invalid" });
    }
    // A taproot program that is no curve point (x = 5) burns what is sent to it.
    expect(check("BTC", "bc1pqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqzs2jkusy")).toMatchObject({ result: "invalid", failed: "format" });
  });

  it("refuses another chain's address, and test-network forms unless the account is in sandbox mode", () => {
    expect(check("BTC", "LV7LV7Z4bWDEjYkfx9dQo6k6RjGbXsg6hS")).toMatchObject({ result: "invalid", failed: "format" });
    expect(check("LTC", "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3")).toMatchObject({ result: "invalid", failed: "format" });
    expect(check("DOGE", "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu")).toMatchObject({ result: "invalid", failed: "format" });
    expect(check("TRC20", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")).toMatchObject({ result: "invalid" });
    expect(check("ERC20", "TNPeeaaFB7K9cmo4uQpcU32zGK8G1NYqeL")).toMatchObject({ result: "invalid" });
    expect(check("XRP", "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu")).toMatchObject({ result: "invalid" });
    expect(check("XRP", "XVLhHMPHU98es4dbozjVtdWzVrDjtV18pX8yuPT7y4xaEHi")).toMatchObject({ result: "invalid", failed: "format" });
    expect(check("ADA", "stake1uyehkck0lajq8gr28t9uxnuvgcqrc6070x3k9r8048z8y5gh6ffgw")).toMatchObject({ result: "invalid", failed: "format" });
    const testForms: [string, string][] = [
      ["BTC", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"],
      ["BTC", "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c"],
      ["BCH", "bchtest:qpf29h80q4kzprl84jmwhf9du3jsu2tvw509nqz5cy"],
      ["ADA", "addr_test1vz2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzerspjrlsz"],
      ["TON", "kf/8uRo6OBbQ97jCx2EIuKm8Wmt6Vb15+KsQHFLbKSMiYIny"],
    ];
    for (const [network, address] of testForms) {
      expect(check(network, address), address).toMatchObject({ result: "invalid", failed: "format" });
      expect(check(network, address, undefined, sandbox), address).toEqual({ result: "valid" });
    }
    // The network tag must agree with the prefix: a mainnet payload under addr_test is no address.
    expect(check("ADA", "addr_test1vx2fxv2umyhttkxyxp8x0dlpdt3k6cwng5pxj3jhsydzers66hrl8", undefined, sandbox)).toMatchObject({ result: "invalid" });
  });
});

describe("checkDepositAddress: tags", () => {
  it("takes an XRP destination tag only as a 32-bit unsigned decimal", () => {
    const xrp = "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh";
    for (const tag of ["0", "1", "123456", "4294967295"]) expect(check("XRP", xrp, tag), tag).toEqual({ result: "valid" });
    for (const tag of ["4294967296", "-1", "12a", "0x10", "1.5", "00012", "１２３", "99999999999"]) {
      expect(check("XRP", xrp, tag), tag).toMatchObject({ result: "invalid", failed: "tag" });
    }
  });

  it("takes a Stellar memo of at most 28 bytes", () => {
    const account = "GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ";
    expect(check("XLM", account, "18446744073709551615")).toEqual({ result: "valid" });
    expect(check("XLM", account, "a".repeat(28))).toEqual({ result: "valid" });
    expect(check("XLM", account, "a".repeat(29))).toMatchObject({ result: "invalid", failed: "tag" });
    expect(check("XLM", account, "é".repeat(15))).toMatchObject({ result: "invalid", failed: "tag" });
  });

  it("refuses on every network a tag that cannot be stored or shown", () => {
    for (const network of ["TON", "ATOM", "EOS"]) {
      expect(check(network, "0:ca6e321c7cce9ecedf0a8ca2492ec8592494aa5fb5ce0387dff96ef6af982a3e", "memo 12")).toMatchObject({ result: network === "TON" ? "valid" : "not_checked" });
      for (const tag of ["a\u0000b", "line\nbreak", " padded", "x".repeat(101), "\ud800", 42, {}]) {
        expect(check(network, "0:ca6e321c7cce9ecedf0a8ca2492ec8592494aa5fb5ce0387dff96ef6af982a3e", tag), String(tag)).toMatchObject({ result: "invalid", failed: "tag" });
      }
    }
  });
});

describe("checkDepositAddress: hostile and unknown", () => {
  it("refuses junk of any shape on every network, checked or not", () => {
    const junk: unknown[] = ["", "x".repeat(10_000), "\u0000", "bc1\u0000", "адрес", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\n", 42, null, undefined, {}, ["bc1q"], true];
    for (const network of [...CHECKED_NETWORKS, "EOS", "UNKNOWNCHAIN"]) {
      for (const address of junk) expect(check(network, address), `${network} ${String(address).slice(0, 20)}`).toMatchObject({ result: "invalid", failed: "format" });
    }
  });

  it("answers a 10 KB string fast, before any decoding", () => {
    const started = performance.now();
    for (const network of CHECKED_NETWORKS) check(network, "1".repeat(10_000));
    expect(performance.now() - started).toBeLessThan(50);
  });

  it("stores an address of a network without a validator as not checked", () => {
    expect(check("EOS", "binancecleos", "123456")).toEqual({ result: "not_checked" });
    expect(check("LIGHTNING", "lnbc1anything")).toEqual({ result: "not_checked" });
    for (const network of ["constructor", "__proto__", "toString", "", "btc"]) expect(check(network, "abc"), network).toEqual({ result: "not_checked" });
  });
});
