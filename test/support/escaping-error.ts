// Preloaded into a `grab` process (node --import): once grab's entry has run, lets an error
// escape every handler, as a bug would. ESCAPE=rejection or exception; the error carries
// ESCAPE_SECRET in its message and in an AUTH command, as an ioredis error would.
const secret = process.env.ESCAPE_SECRET ?? '';

const escapeNow = () => {
  const err = Object.assign(new Error(`escaped, holding ${secret}`), { command: { name: 'auth', args: [secret] } });
  if (process.env.ESCAPE === 'exception') throw err;
  void Promise.reject(err);
};

// grab.ts installs its handlers, then loads the settings, in one synchronous run; a grab
// without such handlers gets the error after 5 s all the same.
const startedAt = Date.now();
const waiting = setInterval(() => {
  if (process.listenerCount('unhandledRejection') === 0 && Date.now() - startedAt < 5000) return;
  clearInterval(waiting);
  setTimeout(escapeNow, 200);
}, 20);
