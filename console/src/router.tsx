import { type AnchorHTMLAttributes, type MouseEvent, useEffect, useState } from 'react';

/** The console lives under /console; routes are the rest of the path. */
export const BASE = '/console';

function currentRoute(): string {
  const path = window.location.pathname;
  return path.startsWith(BASE) ? path.slice(BASE.length) || '/' : '/';
}

/** Moves to a route of the console without reloading the page. */
export function navigate(route: string): void {
  window.history.pushState(null, '', `${BASE}${route}`);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** The route being shown, updated on navigation and the browser's back and forward. */
export function useRoute(): { path: string; query: URLSearchParams } {
  const [route, setRoute] = useState(() => ({ path: currentRoute(), query: new URLSearchParams(window.location.search) }));
  useEffect(() => {
    const update = () => setRoute({ path: currentRoute(), query: new URLSearchParams(window.location.search) });
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return route;
}

/** A link to a console route: a real anchor (keyboard, new tab) that navigates in place. */
export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={`${BASE}${to}`} onClick={handle} {...rest} />;
}
