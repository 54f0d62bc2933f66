// Join: /join#code=<CODE> (or type the code), pick a display name, land in the delegation console.

import {h, replace} from '../lib/dom.js';
import {joinExercise} from '../lib/api.js';
import {fragment} from '../lib/session.js';
import {normaliseCode, storage} from '../lib/store.js';
import {errorLine, roomLeft, showError} from '../components/ui.js';

function formatCode(code) {
  const c = normaliseCode(code);
  return c.length === 8 ? `${c.slice(0, 4)}-${c.slice(4)}` : String(code || '').trim().toUpperCase();
}

export function mount(root) {
  const given = fragment().get('code') || '';
  const codeInput = h('input', {type: 'text', id: 'join-code', name: 'code', required: true, autocomplete: 'off',
                                autocapitalize: 'characters', spellcheck: 'false', class: 'input-code',
                                placeholder: 'ABCD-EFGH', value: formatCode(given), 'aria-describedby': 'join-code-hint'});
  const nameInput = h('input', {type: 'text', id: 'join-name', name: 'name', required: true, 'data-limit': '40',
                                autocomplete: 'nickname', placeholder: 'e.g. Amira', 'aria-describedby': 'join-name-hint'});
  const codeError = errorLine();
  const nameError = errorLine();
  const formError = errorLine();
  const submit = h('button', {type: 'submit', class: 'btn btn--primary btn--large'}, 'Join');
  const form = h('form', {class: 'join-form', 'aria-labelledby': 'join-title'},
    h('div', {class: 'field'}, h('label', {for: 'join-code'}, 'Delegation code'), codeInput,
      h('small', {class: 'hint', id: 'join-code-hint'}, 'Eight letters and digits, from your link or the umpire.'), codeError),
    h('div', {class: 'field'}, h('label', {for: 'join-name'}, 'Your name'), nameInput,
      h('small', {class: 'hint', id: 'join-name-hint'}, 'Shown to everyone in the exercise. ', roomLeft(nameInput)),
      nameError),
    submit, formError);

  const existing = given ? storage.exerciseForCode(given) : null;
  const seat = existing ? storage.session(existing) : null;
  const resume = seat ? h('section', {class: 'card resume-seat'},
    h('h2', {}, 'Welcome back'),
    h('p', {}, 'On this browser you joined this exercise as ', h('strong', {dir: 'auto'}, seat.name), '.'),
    h('a', {href: `/play#exercise=${encodeURIComponent(existing)}`, class: 'btn btn--primary', 'data-testid': 'continue'},
      'Continue as ', h('bdi', {}, seat.name)),
    h('p', {class: 'hint'}, 'Or join again below under another name.')) : null;

  // An error is about what was typed: typing again takes it away (a name now over the limit says so itself).
  for (const [input, error] of [[codeInput, codeError], [nameInput, nameError]]) {
    input.addEventListener('input', () => {
      showError(error, null);
      showError(formError, null);
      input.removeAttribute('aria-invalid');
    });
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    for (const el of [codeError, nameError, formError]) showError(el, null);
    codeInput.removeAttribute('aria-invalid');
    nameInput.removeAttribute('aria-invalid');
    const code = codeInput.value.trim();
    const name = nameInput.value.trim();
    if (!code) {
      showError(codeError, {message: 'Type the code you were given.'});
      codeInput.setAttribute('aria-invalid', 'true');
      codeInput.focus();
      return;
    }
    if (!name) {
      showError(nameError, {message: 'Choose the name others will see.'});
      nameInput.setAttribute('aria-invalid', 'true');
      nameInput.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Joining…';
    try {
      const result = await joinExercise(code, name);
      if (result.role === 'observer') {
        location.assign(`/observe#code=${encodeURIComponent(code)}`);
        return;
      }
      storage.saveSession(result.exercise, {token: result.token, role: result.role, delegation: result.delegation,
                                            participant: result.participant, name: result.name, code});
      storage.rememberCode(code, result.exercise);
      location.assign(`/play#exercise=${encodeURIComponent(result.exercise)}`);
    } catch (err) {
      const target = err.fields?.name || err.code === 'name_taken' ? [nameError, nameInput]
        : err.fields?.code || err.code === 'bad_code' ? [codeError, codeInput] : [formError, null];
      showError(target[0], err);
      if (target[1]) {
        target[1].setAttribute('aria-invalid', 'true');
        target[1].focus();
      }
      submit.disabled = false;
      submit.textContent = 'Join';
    }
  });

  root.classList.remove('loading');
  replace(root, h('div', {class: 'page narrow join'},
    h('header', {class: 'hero hero--small'},
      h('a', {href: '/', class: 'hero-brand'}, h('img', {src: '/static/img/icon.svg', alt: '', width: '36', height: '36'}),
        h('span', {}, 'facilitator'))),
    resume,
    h('section', {class: 'card'}, h('h1', {id: 'join-title'}, 'Join your delegation'), form)));
  (given ? nameInput : codeInput).focus();
}
