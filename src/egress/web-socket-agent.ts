import type { Agent } from 'node:http';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { type ProxySettings, proxyFor } from './proxy-settings.js';

/**
 * The agent a WebSocket to `url` (ws:// or wss://) opens its connection with: a CONNECT tunnel
 * through the proxy the settings give for it, or undefined to connect directly. One agent per proxy.
 */
export function webSocketAgents(settings: ProxySettings): (url: string) => Agent | undefined {
  const agents = new Map<string, Agent>();
  return (url) => {
    const proxy = proxyFor(settings, url);
    if (!proxy) return undefined;
    let agent = agents.get(proxy.href);
    if (!agent) agents.set(proxy.href, (agent = new HttpsProxyAgent(proxy.href)));
    return agent;
  };
}
