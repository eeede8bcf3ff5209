import { Client, Connection } from '@temporalio/client';
import { temporalAddress, temporalNamespace } from '../config.js';

export async function temporalClient(address = temporalAddress()): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace: temporalNamespace() });
}
