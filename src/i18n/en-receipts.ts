// English strings of <usage-meter receipts>'s payment history (src/receipts/receipt-history.ts): they load with
// that lazy chunk, not with the element.
export const enReceipts = {
  'receipts.title': 'Payment history',
  'receipts.none': 'No payments yet.',
  'receipts.receipt': 'Receipt {number}',
  'receipts.credit_note': 'Credit note {number}',
  'receipts.refunded': 'Refunded',
  'receipts.new_tab': '(opens in a new tab)',
};
