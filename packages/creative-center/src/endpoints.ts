/**
 * Creative Center endpoints as data. TikTok moves paths and renames fields without notice; a new
 * path or shape should be a change here, not in the code that fetches. Each entry is one endpoint
 * of one API generation, as collected in the project's API notes.
 */

export const FAMILIES = ['keyword', 'hashtag', 'sound', 'creator', 'video'] as const
export type Family = (typeof FAMILIES)[number]

export type Generation = 'legacy' | 'creative-one'

/** How a page's pagination object names its fields. */
export interface PaginationKeys {
  page: string
  size: string
  total: string
  hasMore: string
}

export interface EndpointDef {
  /** Stable name used in configuration, metrics and records, e.g. `hashtags-legacy`. */
  name: string
  family: Family
  generation: Generation
  method: 'GET' | 'POST'
  path: string
  /** The web page that calls this endpoint (sent as Referer). */
  referer: string
  /** Where the list lives in the response body; each element becomes one raw record. */
  listPath: readonly string[]
  paginationPath: readonly string[]
  pagination: PaginationKeys
  pageParam: string
  sizeParam: string
  pageSizeCap: number
  /** The polling matrix axes and the upstream parameter each maps to; null when the endpoint has no such axis. */
  country: { param: string; values: readonly string[] } | null
  /** Period in days (our uniform unit) → the upstream parameter value. */
  period: { param: string; values: Readonly<Record<string, string>> } | null
  industry: { param: string } | null
  /** Other filters: allowed values (absent = free text) and the default sent when configuration names none. */
  filters: Readonly<Record<string, { values?: readonly string[]; default?: string }>>
  /** Filters that define a different chart, so they are part of the record key. */
  keyFilters: readonly string[]
  /** The item's id inside one list element. */
  idPath: readonly string[]
  /**
   * Rows a logged-out session gets of the whole list (the upstream then says there is no more): a
   * fetch without a session that reads exactly this many has read the cap, not the chart.
   */
  loggedOutCap?: number
  /**
   * The API host, when not the Creative Center's own (`ads.tiktok.com`), and hosts to try after it
   * when it does not serve the API (no connection, or 404). The first that answers stays in use.
   * Hosts are names, not URLs: CC_BASE_URL (a simulator, a proxy) and CC_HOST_ORIGINS decide where
   * each is reached.
   */
  host?: string
  fallbackHosts?: readonly string[]
  /** Other places the list (and its pagination) may be found, tried after listPath (paginationPath). */
  altListPaths?: readonly (readonly string[])[]
  altPaginationPaths?: readonly (readonly string[])[]
  /** A call that must come first and provides one parameter, e.g. the Report API's period end. */
  prelude?: { path: string; param: string; fieldByPeriod: Readonly<Record<string, string>> }
}

/** Countries of the legacy hashtag and song charts (71). The creator, video and keyword lists are not public; this one is used for them too. */
export const LEGACY_COUNTRIES = [
  'AR', 'AU', 'AT', 'BH', 'BD', 'BY', 'BE', 'BR', 'BG', 'KH', 'CA', 'CL', 'CO', 'HR', 'CZ', 'DK', 'EG', 'EE', 'FI', 'FR', 'DE', 'GR',
  'HU', 'IS', 'ID', 'IQ', 'IE', 'IL', 'IT', 'JP', 'JO', 'KZ', 'KW', 'LV', 'LB', 'LT', 'LU', 'MO', 'MY', 'MX', 'MA', 'MM', 'NL', 'NZ',
  'NG', 'NO', 'OM', 'PK', 'PE', 'PH', 'PL', 'PT', 'QA', 'RO', 'SA', 'SG', 'SK', 'ZA', 'KR', 'ES', 'SE', 'CH', 'TW', 'TH', 'TR', 'UA',
  'AE', 'GB', 'US', 'UZ', 'VN',
] as const // prettier-ignore

/** The TikTok One hashtag markets (27). */
export const CREATIVE_ONE_COUNTRIES = [
  'US', 'FR', 'DE', 'IT', 'ES', 'GB', 'AR', 'AU', 'BR', 'CA', 'CO', 'EG', 'ID', 'IL', 'JP', 'KR', 'MY', 'MX', 'PH', 'SA', 'SG', 'ZA',
  'TW', 'TH', 'TR', 'AE', 'VN',
] as const // prettier-ignore

/** Industry ids (`NN000000000`), legacy and current. */
export const INDUSTRIES: Readonly<Record<string, string>> = {
  '10000000000': 'Education',
  '11000000000': 'Vehicle & Transportation',
  '12000000000': 'Baby, Kids & Maternity',
  '13000000000': 'Financial Services',
  '14000000000': 'Beauty & Personal Care',
  '15000000000': 'Tech & Electronics',
  '17000000000': 'Travel',
  '18000000000': 'Household Products',
  '19000000000': 'Pets',
  '21000000000': 'Home Improvement',
  '22000000000': 'Apparel & Accessories',
  '23000000000': 'News & Entertainment',
  '24000000000': 'Business Services',
  '25000000000': 'Games',
  '26000000000': 'Life Services',
  '27000000000': 'Food & Beverage',
  '28000000000': 'Sports & Outdoor',
  '29000000000': 'Health',
}

const LEGACY_PAGINATION: PaginationKeys = { page: 'page', size: 'size', total: 'total', hasMore: 'has_more' }
const CREATIVE_ONE_PAGINATION: PaginationKeys = { page: 'page', size: 'limit', total: 'totalCount', hasMore: 'hasMore' }
const LEGACY_PERIODS = { '7': '7', '30': '30', '120': '120' } as const
const LEGACY_BASE = '/creative_radar_api/v1'

export const ENDPOINTS: readonly EndpointDef[] = [
  {
    name: 'keywords-legacy',
    family: 'keyword',
    generation: 'legacy',
    method: 'GET',
    path: `${LEGACY_BASE}/script/keyword/list`,
    referer: '/business/creativecenter/keyword-insights/pc/en',
    listPath: ['data', 'keyword_list'],
    paginationPath: ['data', 'pagination'],
    pagination: LEGACY_PAGINATION,
    pageParam: 'page',
    sizeParam: 'limit',
    pageSizeCap: 50,
    country: { param: 'country_code', values: LEGACY_COUNTRIES },
    period: { param: 'period', values: LEGACY_PERIODS },
    industry: { param: 'industry' },
    filters: {
      order_by: {
        values: ['post', 'post_change', 'ctr', 'cvr', 'cpa', 'cost', 'impression', 'play_six_rate', 'like', 'share', 'comment'],
        default: 'post',
      },
      order_type: { values: ['desc', 'asc'], default: 'desc' },
      objective: { values: ['1', '2', '3', '4', '5', '8', '14'] },
      keyword_type: { values: ['1', '2', '3', '4', '5', '6'] },
      keyword: {},
    },
    keyFilters: ['order_by', 'objective', 'keyword_type'],
    idPath: ['keyword'],
  },
  {
    name: 'hashtags-legacy',
    family: 'hashtag',
    generation: 'legacy',
    method: 'GET',
    path: `${LEGACY_BASE}/popular_trend/hashtag/list`,
    referer: '/business/creativecenter/inspiration/popular/hashtag/pc/en',
    listPath: ['data', 'list'],
    paginationPath: ['data', 'pagination'],
    pagination: LEGACY_PAGINATION,
    pageParam: 'page',
    sizeParam: 'limit',
    pageSizeCap: 50,
    country: { param: 'country_code', values: LEGACY_COUNTRIES },
    period: { param: 'period', values: LEGACY_PERIODS },
    industry: { param: 'industry_id' },
    filters: { sort_by: { values: ['popular', 'new'], default: 'popular' }, filter_by: { values: ['new_on_board'] } },
    keyFilters: ['filter_by'],
    idPath: ['hashtag_id'],
  },
  {
    name: 'hashtags-creative-one',
    family: 'hashtag',
    generation: 'creative-one',
    method: 'POST',
    path: '/CreativeOne/KnowledgeAPI/GetHashtagList',
    referer: '/creative/creativeCenter/trends/hashtag',
    listPath: ['items'],
    paginationPath: ['pagination'],
    pagination: CREATIVE_ONE_PAGINATION,
    pageParam: 'page',
    sizeParam: 'limit',
    pageSizeCap: 20,
    country: { param: 'countryCode', values: CREATIVE_ONE_COUNTRIES },
    period: { param: 'timeRange', values: { '7': '7', '30': '30', '90': '90' } },
    industry: { param: 'industryID' },
    filters: {},
    keyFilters: [],
    idPath: ['hashtagID'],
    // Every public report agrees: the top 3 rows per query without a login, ~100 over 5 pages with one.
    loggedOutCap: 3,
  },
  {
    name: 'sounds-legacy',
    family: 'sound',
    generation: 'legacy',
    method: 'GET',
    path: `${LEGACY_BASE}/popular_trend/sound/rank_list`,
    referer: '/business/creativecenter/inspiration/popular/music/pc/en',
    listPath: ['data', 'sound_list'],
    paginationPath: ['data', 'pagination'],
    pagination: LEGACY_PAGINATION,
    pageParam: 'page',
    sizeParam: 'limit',
    pageSizeCap: 20,
    country: { param: 'country_code', values: LEGACY_COUNTRIES },
    period: { param: 'period', values: LEGACY_PERIODS },
    industry: null,
    filters: {
      rank_type: { values: ['popular', 'surging'], default: 'popular' },
      new_on_board: { values: ['true', 'false'] },
      commercial_music: { values: ['true', 'false'] },
    },
    keyFilters: ['rank_type', 'new_on_board', 'commercial_music'],
    idPath: ['clip_id'],
  },
  {
    name: 'creators-legacy',
    family: 'creator',
    generation: 'legacy',
    method: 'GET',
    path: `${LEGACY_BASE}/popular_trend/creator/list`,
    referer: '/business/creativecenter/inspiration/popular/creator/pc/en',
    listPath: ['data', 'creators'],
    paginationPath: ['data', 'pagination'],
    pagination: LEGACY_PAGINATION,
    pageParam: 'page',
    sizeParam: 'limit',
    pageSizeCap: 50,
    country: { param: 'creator_country', values: LEGACY_COUNTRIES },
    // Creators have no period upstream, whatever some clients send.
    period: null,
    industry: null,
    filters: {
      sort_by: { values: ['follower', 'engagement', 'avg_views'], default: 'follower' },
      audience_country: { values: LEGACY_COUNTRIES },
    },
    keyFilters: ['sort_by', 'audience_country'],
    idPath: ['tcm_id'],
  },
  {
    name: 'videos-legacy',
    family: 'video',
    generation: 'legacy',
    method: 'GET',
    path: `${LEGACY_BASE}/popular_trend/list`,
    referer: '/business/creativecenter/inspiration/popular/pc/en',
    listPath: ['data', 'videos'],
    paginationPath: ['data', 'pagination'],
    pagination: { page: 'page', size: 'limit', total: 'total_count', hasMore: 'has_more' },
    pageParam: 'page',
    sizeParam: 'limit',
    pageSizeCap: 20,
    country: { param: 'country_code', values: LEGACY_COUNTRIES },
    period: { param: 'period', values: { '7': '7', '30': '30' } },
    industry: null,
    filters: { order_by: { values: ['vv', 'like', 'comment', 'repost'], default: 'vv' } },
    keyFilters: ['order_by'],
    idPath: ['item_id'],
  },
  {
    name: 'videos-creative-one',
    family: 'video',
    generation: 'creative-one',
    method: 'GET',
    path: '/CreativeOne/Report/CreativeCenterGetTopContentsList',
    referer: '/creative/creativeCenter/trends/video',
    // Reports from mid-2026: the Report API answers on the US host, not on ads.tiktok.com.
    host: 'ads.us.tiktok.com',
    fallbackHosts: ['ads.tiktok.com'],
    listPath: ['entityInfos'],
    paginationPath: ['pagination'],
    // Items have also been seen wrapped as results.entityInfos.
    altListPaths: [['results', 'entityInfos']],
    altPaginationPaths: [['results', 'pagination']],
    pagination: CREATIVE_ONE_PAGINATION,
    pageParam: 'page',
    sizeParam: 'limit',
    pageSizeCap: 20,
    country: { param: 'countryCode', values: CREATIVE_ONE_COUNTRIES },
    // periodDimension 3 is read as 7 days and 5 as 30 days (inferred from one client).
    period: { param: 'periodDimension', values: { '7': '3', '30': '5' } },
    industry: null,
    filters: {
      orderByMetric: { values: ['1', '2', '3'], default: '1' },
      contentLabelIDs: { default: '' },
      organicOnly: { values: ['true', 'false'], default: 'false' },
    },
    keyFilters: ['orderByMetric', 'contentLabelIDs', 'organicOnly'],
    idPath: ['itemInfo', 'itemID'],
    prelude: {
      path: '/CreativeOne/Report/GetTopContentsOverview',
      param: 'periodEndTimestamp',
      fieldByPeriod: { '7': 'lastWeeklyEndTimestamp', '30': 'lastMonthlyEndTimestamp' },
    },
  },
]

/** The Creative Center's own host, where an endpoint without `host` lives. */
export const DEFAULT_HOST = 'ads.tiktok.com'

/** The hosts to reach an endpoint on, in order of preference. */
export function hostsOf(endpoint: Pick<EndpointDef, 'host' | 'fallbackHosts'>): string[] {
  return [...new Set([endpoint.host ?? DEFAULT_HOST, ...(endpoint.fallbackHosts ?? [])])]
}

const BY_NAME = new Map(ENDPOINTS.map((endpoint) => [endpoint.name, endpoint]))

export function findEndpoint(name: string): EndpointDef | undefined {
  return BY_NAME.get(name)
}

export function endpointNames(): string[] {
  return ENDPOINTS.map((endpoint) => endpoint.name)
}
