import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { type ExecutionResult, type GraphQLSchema, type IntrospectionQuery, buildClientSchema, buildSchema, getIntrospectionQuery } from 'graphql';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import publishedSchema from '../../schema/api.graphql?raw';
import { storedSession } from './api';
import './explorer.css';

/** The README's example queries, one tab each. */
const EXAMPLES = [
  {
    query: `# A Customer 360: both systems in one query.
query Customer360 {
  customers(first: 5) {
    totalCount
    nodes {
      id name crmAccountId erpCustomerNo
      contacts { name email }
      opportunities { name stage amount { amount currency } }
      activities(last: 3) { type subject occurredAt }
      cases { subject status }
      creditLimit { amount currency }
      openBalance { amount currency }
      paymentTerms
      orders(first: 3) {
        number status total { amount currency }
        lines { quantity product { sku name available stock { warehouse { code } onHand reserved available } } }
      }
      invoices { number status amountDue { amount } dueDate }
      sync { inCrm inErp state }
    }
  }
}`,
  },
  {
    query: `# Order flows that failed, with the step that stopped them.
query FailedFlows {
  orderFlows(first: 20, status: FAILED) {
    totalCount
    nodes { id status error customer { name } salesOrder { number status } steps { name status attempts error } }
  }
}`,
  },
  {
    query: `# What does not agree between the CRM and the ERP (admin).
query DataQuality {
  dataQualityReport { checkedAt issues { kind field crmValue erpValue detail customer { id name } } }
}`,
  },
];


async function post(body: unknown, headers: Record<string, string>): Promise<ExecutionResult> {
  const response = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return (await response.json()) as ExecutionResult;
}

function Explorer() {
  const session = storedSession();
  const headers = JSON.stringify({ authorization: session ? `Bearer ${session.token}` : 'Bearer PASTE-A-TOKEN (npm run -s token -- --role admin)' }, null, 2);
  // The served schema when it can be introspected (development); in production, where
  // introspection is off, the published contract shipped with this page. Always handed over
  // built: GraphiQL introspects again by itself when given an introspection result, without the
  // token, and then shows "Error fetching schema".
  const [schema, setSchema] = useState<GraphQLSchema | null>(null);
  useEffect(() => {
    const fallback = () => setSchema(buildSchema(publishedSchema));
    if (!session) return fallback();
    post({ query: getIntrospectionQuery() }, { authorization: `Bearer ${session.token}` }).then(
      (r) => (r.data && !r.errors ? setSchema(buildClientSchema(r.data as unknown as IntrospectionQuery)) : fallback()),
      fallback,
    );
  }, []);
  if (!schema) return <p style={{ padding: 24, fontFamily: 'system-ui' }}>Loading the schema…</p>;
  return (
    <GraphiQL
      // GraphiQL's own schema reload sends no editor headers: it goes with the signed-in token.
      fetcher={async (params, options) => post(params, { ...(session ? { authorization: `Bearer ${session.token}` } : {}), ...((options?.headers ?? {}) as Record<string, string>) })}
      schema={schema}
      defaultTabs={EXAMPLES.map((e) => ({ ...e, headers }))}
      defaultHeaders={headers}
      defaultEditorToolsVisibility="headers"
      shouldPersistHeaders={false}
    >
      <GraphiQL.Logo>
        <a href="/console" className="explorer-home">
          ERP + CRM API
        </a>
      </GraphiQL.Logo>
    </GraphiQL>
  );
}

createRoot(document.getElementById('explorer')!).render(
  <StrictMode>
    <Explorer />
  </StrictMode>,
);
