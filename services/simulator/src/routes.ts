/** Every API path the simulator serves, with its method. Anything else is a 404 HTML page. */
import type { Handler } from './api.ts'
import { getHashtagList, getTopContentsList, getTopContentsOverview } from './creative-one.ts'
import { creatorList, keywordList, videoList } from './legacy-lists.ts'
import { hashtagList, soundRankList } from './legacy-trends.ts'
import { legacyEnvelope } from './legacy.ts'
import { INDUSTRIES } from './words.ts'

/** The portal's industry list: every industry id the charts take, with its name, as `industry_info` spells one. */
const industryList: Handler = (request) => ({
  status: 200,
  body: legacyEnvelope(request.nowMs, 0, 'OK', {
    industry_list: Object.entries(INDUSTRIES).map(([id, value]) => ({ id, value, label: `label_${id}` })),
  }),
})

export interface Route {
  method: 'GET' | 'POST'
  handler: Handler
}

export const ROUTES: Readonly<Record<string, Route>> = {
  '/creative_radar_api/v1/popular_trend/hashtag/list': { method: 'GET', handler: hashtagList },
  '/creative_radar_api/v1/popular_trend/sound/rank_list': { method: 'GET', handler: soundRankList },
  '/creative_radar_api/v1/popular_trend/creator/list': { method: 'GET', handler: creatorList },
  '/creative_radar_api/v1/popular_trend/list': { method: 'GET', handler: videoList },
  '/creative_radar_api/v1/script/keyword/list': { method: 'GET', handler: keywordList },
  '/CreativeOne/KnowledgeAPI/GetHashtagList': { method: 'POST', handler: getHashtagList },
  '/CreativeOne/Report/GetTopContentsOverview': { method: 'GET', handler: getTopContentsOverview },
  '/CreativeOne/Report/CreativeCenterGetTopContentsList': { method: 'GET', handler: getTopContentsList },
  '/cc_portal_api/api/trendsTcc': { method: 'GET', handler: industryList },
}

export const API_PATHS = Object.keys(ROUTES)
