// English strings of the business details form (its toggle, labels and the server's refusals in plain words): they load
// with the form's lazy chunk (src/business/business-field.ts), not with the elements.
export const enBusiness = {
  'business.toggle': 'Buying for a business? Add GST details',
  'business.legend': 'Business details for the GST invoice (optional)',
  'business.legal_name': 'Legal name',
  'business.tax_id': 'GSTIN or VAT ID',
  'business.tax_id_hint': 'e.g. 27AAPFU0939F1ZV or DE123456789',
  'business.line1': 'Address',
  'business.city': 'City',
  'business.postal_code': 'Postal code',
  'business.state': 'State',
  'business.country': 'Country code',
  'business.required': 'Needed for the billing address.',
  'business.invalid.gstin': 'This GSTIN is not valid: check each character (15, e.g. 27AAPFU0939F1ZV).',
  'business.invalid.vat_id': 'This VAT ID is not valid: start with the country prefix, e.g. DE123456789.',
  'business.invalid.country': 'Give the two-letter country code, e.g. IN.',
  'business.invalid.other': 'Check this entry.',
  'error.validation_error': 'Some details are not valid. Check them and try again.',
};
