// White-label dashboard script: a sandbox session, and the en-IN / hi locale switch for both the
// Tollgate elements (configure({locale})) and Lumen's own copy around them.
import { configure } from '../tollgate.js';
import { startSessionStrip } from './sandbox-session.js';

/** Lumen's own strings; the elements bring theirs. */
const COPY = {
  'en-IN': {
    'nav.overview': 'Overview',
    'nav.reports': 'Reports',
    'nav.billing': 'Billing',
    'nav.demos': 'All demos',
    eyebrow: 'White-label dashboard',
    title: 'Billing',
    locale: 'Language and region',
    customer: 'Customer',
    restart: 'Start over as a new customer',
    'session.connecting': 'Connecting…',
    'session.signed_in': 'Signed in (sandbox)',
    'usage.header': 'Lumen workspace · this billing period',
    'usage.compare': 'Compare plans',
    'reports.title': 'Scheduled reports',
    'reports.body': 'Your weekly report goes out every Monday at 9:00 as PDF and CSV.',
    'paywall.title': 'Scheduled reports are a Pro feature',
    'paywall.body': 'Send PDF and CSV reports to your team every week. Choose Pro or Team below.',
    'paywall.cta': 'See plans',
    'plans.title': 'Plans for growing teams',
    'plans.body': 'Billed in rupees. Switch between monthly and yearly to see your saving.',
    'plans.footer': 'Questions about invoices? Write to billing@lumen.example. Sandbox mode: no money moves.',
  },
  hi: {
    'nav.overview': 'सारांश',
    'nav.reports': 'रिपोर्ट',
    'nav.billing': 'बिलिंग',
    'nav.demos': 'सभी डेमो',
    eyebrow: 'व्हाइट-लेबल डैशबोर्ड',
    title: 'बिलिंग',
    locale: 'भाषा और क्षेत्र',
    customer: 'ग्राहक',
    restart: 'नए ग्राहक के रूप में फिर से शुरू करें',
    'session.connecting': 'कनेक्ट हो रहा है…',
    'session.signed_in': 'साइन इन (सैंडबॉक्स)',
    'usage.header': 'Lumen वर्कस्पेस · यह बिलिंग अवधि',
    'usage.compare': 'प्लान की तुलना करें',
    'reports.title': 'निर्धारित रिपोर्ट',
    'reports.body': 'आपकी साप्ताहिक रिपोर्ट हर सोमवार सुबह 9:00 बजे PDF और CSV में भेजी जाती है।',
    'paywall.title': 'निर्धारित रिपोर्ट Pro सुविधा है',
    'paywall.body': 'हर हफ़्ते अपनी टीम को PDF और CSV रिपोर्ट भेजें। नीचे Pro या Team चुनें।',
    'paywall.cta': 'प्लान देखें',
    'plans.title': 'बढ़ती टीमों के लिए प्लान',
    'plans.body': 'बिल रुपयों में। अपनी बचत देखने के लिए मासिक और वार्षिक के बीच बदलें।',
    'plans.footer': 'इनवॉइस के बारे में प्रश्न? billing@lumen.example पर लिखें। सैंडबॉक्स मोड: कोई पैसा नहीं कटता।',
  },
};

const select = document.querySelector('[data-locale]');
const saved = (() => {
  try {
    return localStorage.getItem('tollgate-demo-locale');
  } catch {
    return null;
  }
})();

/** Lumen's copy (and the session line) in the chosen language. */
function translate(locale) {
  const copy = COPY[locale] ?? COPY['en-IN'];
  for (const node of document.querySelectorAll('[data-i18n]')) {
    const text = copy[node.getAttribute('data-i18n')];
    if (text) node.textContent = text;
  }
}

function applyLocale(locale) {
  document.documentElement.lang = locale;
  translate(locale);
  // Every element re-renders in the new locale: strings, ₹ amounts, numbers and dates.
  configure({ locale });
  try {
    localStorage.setItem('tollgate-demo-locale', locale);
  } catch {
    // storage disabled: the switch still works for this visit
  }
}

if (saved && COPY[saved]) select.value = saved;
applyLocale(select.value);
select.addEventListener('change', () => applyLocale(select.value));

void startSessionStrip(configure).then(() => translate(select.value));

document.addEventListener('upgrade-request', () => document.getElementById('plans')?.scrollIntoView({ behavior: 'smooth' }));
