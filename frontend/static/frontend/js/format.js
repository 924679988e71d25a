// How live pages write money, days and times: the rules of core/formatting.py, through Intl.
// Days have the month's name, day first ("11 December 2026"); times are 24-hour; digits are
// Latin in both languages; money has the currency's own decimals, the code in English and the
// symbol in Arabic, exactly as the server writes it. Saudi courts' days also get the Umm al-Qura
// date from the browser's own calendar data.

export const language = () => (document.documentElement.lang === "en" ? "en" : "ar");
const locale = (lang) => (lang === "ar" ? "ar-u-nu-latn" : "en-GB");

// Amounts are integers in minor units; they are formatted from their decimal string, so no
// float ever touches an amount.
export function moneyFormatter(currency, exponent, lang = language()) {
  const format = new Intl.NumberFormat(lang === "ar" ? "ar-u-nu-latn" : "en", {
    style: "currency", currency, currencyDisplay: lang === "ar" ? "symbol" : "code",
    minimumFractionDigits: exponent, maximumFractionDigits: exponent,
  });
  return (minor) => {
    if (minor === null || minor === undefined) return "—";
    if (!exponent) return format.format(String(minor));
    const text = String(minor);
    const sign = text.startsWith("-") ? "-" : "";
    const digits = text.replace("-", "").padStart(exponent + 1, "0");
    return format.format(`${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`);
  };
}

export function formatDay(value, timeZone, lang = language()) {
  return new Intl.DateTimeFormat(locale(lang), {
    day: "numeric", month: "long", year: "numeric", timeZone,
  }).format(new Date(value));
}

export function formatClock(value, timeZone, lang = language()) {
  return new Intl.DateTimeFormat(locale(lang), {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone,
  }).format(new Date(value));
}

// "11 December 2026, 17:30 (Saudi Arabia Time)"; the zone's name comes from the server.
export function formatMoment(value, timeZone, zoneName, lang = language()) {
  const comma = lang === "ar" ? "،" : ",";
  const text = `${formatDay(value, timeZone, lang)}${comma} ${formatClock(value, timeZone, lang)}`;
  return zoneName ? `${text} (${zoneName})` : text;
}

// The Umm al-Qura date of a calendar day given as YYYY-MM-DD: "2 رجب 1448 هـ".
export function hijriDay(isoDay, lang = language()) {
  const tag = lang === "ar" ? "ar-SA-u-ca-islamic-umalqura-nu-latn" : "en-GB-u-ca-islamic-umalqura";
  return new Intl.DateTimeFormat(tag, {
    day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
  }).format(new Date(`${isoDay}T12:00:00Z`));
}

// Adds the Hijri date after every <time data-hijri="YYYY-MM-DD"> the server wrote.
export function addHijriDates(root = document) {
  for (const element of root.querySelectorAll("time[data-hijri]")) {
    if (element.nextElementSibling && element.nextElementSibling.classList.contains("hijri")) continue;
    const span = document.createElement("span");
    span.className = "hijri";
    span.textContent = hijriDay(element.dataset.hijri);
    element.after(span);
  }
}

// `basisPoints`/10000 of a non-negative amount in minor units, rounded half up to a minor unit:
// the invoice's rule (aftersale/engine.py, `round_half_up_percent`), in integers (BigInt, so
// no amount is too large), never a float.
export function percentHalfUp(minor, basisPoints) {
  const amount = BigInt(minor);
  const rate = BigInt(basisPoints);
  if (amount < 0n || rate < 0n) throw new RangeError("amounts and rates are not negative here");
  return Number((amount * rate + 5000n) / 10000n);
}

// What a buyer owes at `price` under the auction's rules, as the invoice computes it
// (aftersale/engine.py, `breakdown`): the premium on the price, VAT on the premium (or on the
// price and the premium), each rounded half up.
export function owedAt(price, { premiumBp, vatBp, vatOnPrice }) {
  const premium = percentHalfUp(price, premiumBp);
  const vat = percentHalfUp(vatOnPrice ? price + premium : premium, vatBp);
  return { premium, vat, total: price + premium + vat };
}
