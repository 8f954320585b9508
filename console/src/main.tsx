import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { type Session, can, sessionOf, storeToken, storedSession, whenUnauthenticated } from './api';
import { FlowPage } from './pages/flow-page';
import { FlowsPage } from './pages/flows-page';
import { OverviewPage } from './pages/overview-page';
import { SyncPage } from './pages/sync-page';
import { TransferPage } from './pages/transfer-page';
import { Link, navigate, useRoute } from './router';
import './styles.css';

function SignIn({ onSignIn }: { onSignIn: (session: Session) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const session = sessionOf(token);
    if (!session) {
      setError('That is not a token of this API. Paste the whole output of the token command.');
      return;
    }
    // The gateway is the judge: a token it refuses does not sign anyone in.
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    if (response.status === 401) {
      setError('The gateway refused this token (expired, or signed with another secret).');
      return;
    }
    storeToken(session.token);
    onSignIn(session);
  };
  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit}>
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          ERP + CRM operations
        </div>
        <h1>Sign in</h1>
        <p>
          Paste a token. On this machine, print one with <code>npm run -s token -- --role admin</code> (roles: admin, sales, finance, operations, partner).
        </p>
        <label htmlFor="token">Token</label>
        <textarea id="token" name="token" rows={4} value={token} onChange={(e) => setToken(e.target.value)} placeholder="eyJhbGciOiJIUzI1NiJ9…" required spellCheck={false} />
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button className="button button-primary" type="submit">
          Sign in
        </button>
        <p className="hint">The token stays in this browser tab only and is sent to the API with every request.</p>
      </form>
    </main>
  );
}

const NAV = [
  { to: '/', label: 'Overview', show: () => true },
  { to: '/flows', label: 'Order flows', show: () => true },
  { to: '/sync', label: 'Sync & data quality', show: can.seeSync },
  { to: '/transfer', label: 'Import & export', show: () => true },
];

function App() {
  const [session, setSession] = useState<Session | null>(storedSession);
  const [menuOpen, setMenuOpen] = useState(false);
  const route = useRoute();
  useEffect(() => whenUnauthenticated(() => {
    storeToken(null);
    setSession(null);
  }), []);
  useEffect(() => setMenuOpen(false), [route.path]);
  if (!session) return <SignIn onSignIn={setSession} />;

  const signOut = () => {
    storeToken(null);
    setSession(null);
    navigate('/');
  };
  const section = NAV.filter((n) => n.to !== '/').find((n) => route.path.startsWith(n.to))?.to ?? '/';
  let page;
  const flow = /^\/flows\/(.+)$/.exec(route.path);
  if (flow) page = <FlowPage id={decodeURIComponent(flow[1])} session={session} />;
  else if (route.path === '/flows') page = <FlowsPage session={session} />;
  else if (route.path === '/sync' && can.seeSync(session.role)) page = <SyncPage session={session} />;
  else if (route.path === '/transfer') page = <TransferPage session={session} />;
  else page = <OverviewPage session={session} />;

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen(!menuOpen)}>
          <span aria-hidden="true">☰</span> Menu
        </button>
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          ERP + CRM<span className="brand-text-long"> operations</span>
        </Link>
        <div className="who">
          <span className="role" title={session.sub}>
            {session.role}
            {session.customerId ? ` · ${session.customerId}` : ''}
          </span>
          <button type="button" className="button button-quiet" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <nav id="nav" className={menuOpen ? 'nav nav-open' : 'nav'} aria-label="Console">
        <ul>
          {NAV.filter((n) => n.show(session.role)).map((n) => (
            <li key={n.to}>
              <Link to={n.to} aria-current={section === n.to ? 'page' : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
          <li>
            <a href="/explorer">API explorer</a>
          </li>
        </ul>
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        {page}
      </main>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
