// How money and dates are shown: the browser's copy of core/formatting.py.
// Same rules, same results (tests/unit/test_formatting_agreement.py runs both on one
// table of cases with node). Money is exact: amounts are decimal strings and are
// scaled and rounded (half up) with BigInt, never with floating point.
"use strict";

(function (root) {
  const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;
  const SCALED_DECIMALS = 2;
  const MIN_DECIMALS = 2;
  const ZH_UNITS = [[8, "亿"], [4, "万"]];
  const EN_COMPACT_UNITS = [[9, "B"], [6, "M"]];
  const MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const TIME_ZONE = "Asia/Shanghai";

  function checkLanguage(language) {
    if (language !== "zh" && language !== "en") throw new Error("unknown language " + language);
    return language;
  }

  function parse(amount) {
    const match = DECIMAL.exec(String(amount).trim());
    if (!match) throw new Error("not a decimal amount: " + amount);
    const fraction = match[3] || "";
    return { negative: match[1] === "-", units: BigInt(match[2] + fraction), scale: fraction.length };
  }

  // |amount| / 10^shift rounded half up to `decimals` places, as an integer of 10^-decimals.
  function rounded(units, scale, shift, decimals) {
    const exponent = decimals - scale - shift;
    if (exponent >= 0) return units * 10n ** BigInt(exponent);
    const divisor = 10n ** BigInt(-exponent);
    const quotient = units / divisor;
    return (units % divisor) * 2n >= divisor ? quotient + 1n : quotient;
  }

  function grouped(value, decimals) {
    const digits = value.toString().padStart(decimals + 1, "0");
    const whole = digits.slice(0, digits.length - decimals).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return decimals > 0 ? whole + "." + digits.slice(digits.length - decimals) : whole;
  }

  /**
   * An exact amount as a user reads it: ¥6,765.60万 (zh), CNY 67,656,000.00 (en),
   * USD 67.66M (en, compact). `amount` is the API's decimal string.
   */
  function formatMoney(amount, currency, language, compact) {
    const lang = checkLanguage(language || "zh");
    const value = parse(amount);
    const code = String(currency).trim().toUpperCase();
    const prefix = lang === "zh" && code === "CNY" ? "¥" : code + " ";
    const units = lang === "zh" ? ZH_UNITS : compact ? EN_COMPACT_UNITS : [];
    const decimals = Math.max(MIN_DECIMALS, value.scale);
    let shown = null;
    let text = "";
    // The largest unit the amount reaches as the next smaller unit would show it, so
    // 9,999.999万 becomes 1.00亿 while 9,999.99 stays as it is.
    for (let i = 0; i < units.length && shown === null; i += 1) {
      const [shift, suffix] = units[i];
      const below = i + 1 < units.length
        ? rounded(value.units, value.scale, units[i + 1][0], SCALED_DECIMALS) >= 10n ** BigInt(shift - units[i + 1][0] + SCALED_DECIMALS)
        : rounded(value.units, value.scale, 0, decimals) >= 10n ** BigInt(shift + decimals);
      if (below) {
        shown = rounded(value.units, value.scale, shift, SCALED_DECIMALS);
        text = grouped(shown, SCALED_DECIMALS) + suffix;
      }
    }
    if (shown === null) {
      shown = rounded(value.units, value.scale, 0, decimals);
      text = grouped(shown, decimals);
    }
    return (value.negative && shown !== 0n ? "-" : "") + prefix + text;
  }

  /** Several currencies' amounts, e.g. a group's exposure: "¥3.13亿 + USD 1,663.85万". */
  function formatMoneyList(amounts, language, compact) {
    return (amounts || []).map((m) => formatMoney(m.amount, m.currency, language, compact)).join(" + ");
  }

  function beijing(moment) {
    const parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: TIME_ZONE, year: "numeric", month: "numeric", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).formatToParts(moment).forEach((p) => { parts[p.type] = p.value; });
    return parts;
  }

  /** A moment in Beijing time; an ISO string without an offset is UTC (as stored). */
  function formatDateTime(value, language) {
    const lang = checkLanguage(language || "zh");
    let text = String(value).trim();
    if (!/(Z|[+-]\d\d:?\d\d)$/.test(text)) text += "Z";
    text = text.replace(/(\.\d{3})\d+/, "$1");
    const moment = new Date(text);
    if (Number.isNaN(moment.getTime())) throw new Error("not a date-time: " + value);
    const p = beijing(moment);
    const time = p.hour.padStart(2, "0") + ":" + p.minute.padStart(2, "0");
    return lang === "zh"
      ? `${p.year}年${Number(p.month)}月${Number(p.day)}日 ${time}`
      : `${Number(p.day)} ${MONTHS_EN[Number(p.month) - 1]} ${p.year}, ${time}`;
  }

  function dateParts(value, pattern) {
    const match = pattern.exec(String(value).trim());
    if (!match) throw new Error("not a date: " + value);
    return match.slice(1).map(Number);
  }

  /** A calendar date YYYY-MM-DD: 2025年9月30日 / 30 Sep 2025. */
  function formatDate(value, language) {
    const lang = checkLanguage(language || "zh");
    const [year, month, day] = dateParts(value, /^(\d{4})-(\d{2})-(\d{2})/);
    return lang === "zh" ? `${year}年${month}月${day}日` : `${day} ${MONTHS_EN[month - 1]} ${year}`;
  }

  /** A month YYYY-MM: 2025年12月 / Dec 2025. */
  function formatMonth(value, language) {
    const lang = checkLanguage(language || "zh");
    const [year, month] = dateParts(value, /^(\d{4})-(\d{2})$/);
    return lang === "zh" ? `${year}年${month}月` : `${MONTHS_EN[month - 1]} ${year}`;
  }

  const api = { formatMoney, formatMoneyList, formatDateTime, formatDate, formatMonth };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.corpgraphFormat = api;
})(this);
