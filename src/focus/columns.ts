/**
 * The FOCUS 1.2 Cost and Usage columns Tollgate writes, in order: every Mandatory column,
 * the Conditional and Recommended ones that apply to metered tokens, then `x_` custom
 * columns (the spec wants them prefixed and after its own).
 */
export type FocusType = 'decimal' | 'quantity' | 'string' | 'datetime' | 'json';
export type FeatureLevel = 'Mandatory' | 'Conditional' | 'Recommended' | 'Custom';

export interface FocusColumn {
  name: string;
  type: FocusType;
  nullable: boolean;
  level: FeatureLevel;
}

const col = (name: string, type: FocusType, nullable: boolean, level: FeatureLevel): FocusColumn => ({ name, type, nullable, level });

export const FOCUS_COLUMNS: readonly FocusColumn[] = [
  col('BilledCost', 'decimal', false, 'Mandatory'),
  col('BillingAccountId', 'string', false, 'Mandatory'),
  col('BillingAccountName', 'string', true, 'Mandatory'),
  col('BillingCurrency', 'string', false, 'Mandatory'),
  col('BillingPeriodStart', 'datetime', false, 'Mandatory'),
  col('BillingPeriodEnd', 'datetime', false, 'Mandatory'),
  col('ChargeCategory', 'string', false, 'Mandatory'),
  col('ChargeClass', 'string', true, 'Mandatory'),
  col('ChargeDescription', 'string', true, 'Mandatory'),
  col('ChargePeriodStart', 'datetime', false, 'Mandatory'),
  col('ChargePeriodEnd', 'datetime', false, 'Mandatory'),
  col('ContractedCost', 'decimal', false, 'Mandatory'),
  col('EffectiveCost', 'decimal', false, 'Mandatory'),
  col('InvoiceIssuerName', 'string', false, 'Mandatory'),
  col('ListCost', 'decimal', false, 'Mandatory'),
  col('PricingQuantity', 'quantity', true, 'Mandatory'),
  col('PricingUnit', 'string', true, 'Mandatory'),
  col('ProviderName', 'string', false, 'Mandatory'),
  col('PublisherName', 'string', false, 'Mandatory'),
  col('ServiceCategory', 'string', false, 'Mandatory'),
  col('ServiceName', 'string', false, 'Mandatory'),
  col('ChargeFrequency', 'string', true, 'Recommended'),
  col('ConsumedQuantity', 'quantity', true, 'Conditional'),
  col('ConsumedUnit', 'string', true, 'Conditional'),
  col('PricingCategory', 'string', true, 'Conditional'),
  col('ResourceId', 'string', true, 'Conditional'),
  col('ResourceType', 'string', true, 'Conditional'),
  col('ServiceSubcategory', 'string', true, 'Recommended'),
  col('SkuId', 'string', true, 'Conditional'),
  col('SkuMeter', 'string', true, 'Conditional'),
  col('SkuPriceId', 'string', true, 'Conditional'),
  col('SubAccountId', 'string', true, 'Conditional'),
  col('SubAccountName', 'string', true, 'Conditional'),
  col('SubAccountType', 'string', true, 'Conditional'),
  col('Tags', 'json', true, 'Conditional'),
  col('x_TokenClass', 'string', false, 'Custom'),
  col('x_Model', 'string', false, 'Custom'),
  col('x_CacheReadTokens', 'quantity', false, 'Custom'),
  col('x_CacheWriteTokens', 'quantity', false, 'Custom'),
  col('x_CacheWrite1hTokens', 'quantity', false, 'Custom'),
  col('x_ReasoningTokens', 'quantity', false, 'Custom'),
  col('x_RequestCount', 'quantity', false, 'Custom'),
  col('x_UnpricedRequests', 'quantity', false, 'Custom'),
  col('x_SessionId', 'string', true, 'Custom'),
  col('x_ClientTool', 'string', true, 'Custom'),
  col('x_Pool', 'string', true, 'Custom'),
  col('x_ServiceTier', 'string', true, 'Custom'),
];

export type FocusColumnName = (typeof FOCUS_COLUMNS)[number]['name'];

/** One FOCUS row: money in picodollars, quantities as integers, datetimes in ms, Tags as an object. */
export type FocusRecord = Record<string, bigint | number | string | null | Record<string, string>>;
