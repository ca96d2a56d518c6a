import { asArray, asObject } from '../shared/json.js';

/** Content blocks that are a tool call the model made (client, server or MCP tool). */
const TOOL_USE_BLOCKS = new Set(['tool_use', 'server_tool_use', 'mcp_tool_use']);

export function isToolUseBlock(block: unknown): boolean {
  const type = asObject(block)?.type;
  return typeof type === 'string' && TOOL_USE_BLOCKS.has(type);
}

export function countToolUseBlocks(content: unknown): number {
  return asArray(content)?.filter(isToolUseBlock).length ?? 0;
}
