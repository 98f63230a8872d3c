// English strings of the seat stepper and the tax line (src/seats/seats.ts): they load with that lazy chunk.
export const enSeats = {
  'seats.label': 'Seats',
  'seats.fewer': 'Fewer seats',
  'seats.more': 'More seats',
  'seats.total': '{n} seats: {total}',
  'seats.total_one': '1 seat: {total}',
  'tax.incl': 'incl. {amount} {name}',
  'tax.excl': '+ {amount} {name}',
  'tax.stripe': '+ tax, calculated at checkout',
};
