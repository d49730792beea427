/** Every API path the simulator serves, with its method. Anything else is a 404 HTML page. */
import type { Handler } from './api.ts'
import { getHashtagList, getTopContentsList, getTopContentsOverview } from './creative-one.ts'
import { creatorList, keywordList, videoList } from './legacy-lists.ts'
import { hashtagList, soundRankList } from './legacy-trends.ts'

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
}

export const API_PATHS = Object.keys(ROUTES)
