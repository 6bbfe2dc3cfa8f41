/**
 * Belgian national register number (rijksregisternummer / numéro de registre national): 11
 * digits, the last two a mod-97 check over the first nine (prefixed with 2 for births from 2000).
 */
export function isValidNationalNumber(value: string): boolean {
  const digits = value.replace(/[\s.-]/g, '');
  if (!/^\d{11}$/.test(digits)) return false;
  const base = Number(digits.slice(0, 9));
  const check = Number(digits.slice(9));
  return 97 - (base % 97) === check || 97 - ((2_000_000_000 + base) % 97) === check;
}

export function normaliseNationalNumber(value: string): string {
  return value.replace(/[\s.-]/g, '');
}
