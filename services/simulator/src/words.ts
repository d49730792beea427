/**
 * Word pools for generated names. Mixed scripts on purpose: Latin with diacritics, CJK, Hangul, Thai,
 * and right-to-left Arabic, Hebrew and Persian (the Persian words carry U+200C zero-width non-joiners,
 * some emoji are U+200D joiner sequences), so the pipeline meets real-world text.
 */

/** Splits a `|`- or newline-separated list (kept as text so the pools stay compact). */
function list(text: string): readonly string[] {
  return text
    .split(/\||\n/)
    .map((word) => word.trim())
    .filter((word) => word !== '')
}

/** `display:handle` pairs. */
function pairs(text: string): readonly (readonly [string, string])[] {
  return list(text).map((entry) => {
    const [display = '', handle = ''] = entry.split(':')
    return [display, handle] as const
  })
}

export interface WordGroup {
  /** Language tag, also used to pick local keywords per country. */
  lang: string
  weight: number
  words: readonly string[]
  /** How two words are joined into one hashtag. */
  joiner: string
}

export const HASHTAG_GROUPS: readonly WordGroup[] = [
  {
    lang: 'en',
    weight: 40,
    joiner: '',
    words: list(`spring|summer|outfit|outfits|recipe|glowup|booktok|gymtok|cleantok|fyp|viral|dance|challenge|skincare|aesthetic
      travel|foodie|petsoftiktok|learnontiktok|comedy|storytime|grwm|ootd|diy|lifehack|makeup|nails|coffee|football|anime|cosplay
      gaming|tutorial|asmr|roadtrip|homedecor|plantmom|baking|dessert|tariffs|news|election|wedding|nightroutine|morningroutine
      studywithme|carsoftiktok|fitness|mealprep|thrift|vintage|sneakers|catsoftiktok`),
  },
  {
    lang: 'es',
    weight: 9,
    joiner: '',
    words: list('receta|verano|fútbol|viaje|comida|belleza|moda|risas|parati|humor|música|baile|niños|fiesta'),
  },
  { lang: 'pt', weight: 6, joiner: '', words: list('família|saúde|praia|receitas|maquiagem|viagem|futebol|música|coração|açaí|novela') },
  { lang: 'fr', weight: 3, joiner: '', words: list('été|cuisine|rentrée|pâtisserie|voyage|beauté|mode|humour|fête|goûter') },
  { lang: 'de', weight: 2, joiner: '', words: list('urlaub|küche|frühstück|fußball|schönheit|grüße|märchen') },
  { lang: 'tr', weight: 2, joiner: '', words: list('keşfet|yemek|güzellik|eğlence|düğün|çay|şarkı') },
  { lang: 'vi', weight: 3, joiner: '', words: list('dulịch|ẩmthực|làmđẹp|hàihước|xuhướng|giađình|bóngđá') },
  { lang: 'id', weight: 2, joiner: '', words: list('masak|liburan|kuliner|lucu|ramadhan|mudik|jajanan') },
  { lang: 'ja', weight: 6, joiner: '', words: list('おすすめ|料理|夏休み|メイク|推し活|ダンス|猫|カフェ巡り|旅行|弁当') },
  { lang: 'ko', weight: 5, joiner: '', words: list('먹방|여행|일상|브이로그|챌린지|메이크업|카페|운동|강아지') },
  { lang: 'zh', weight: 3, joiner: '', words: list('美食|日常|旅行|穿搭|夜市|手搖飲|開箱') },
  { lang: 'th', weight: 3, joiner: '', words: list('อาหาร|เที่ยว|ตลก|แต่งหน้า|ของกิน|สายมู') },
  { lang: 'ar', weight: 6, joiner: '_', words: list('رمضان|طبخ|سفر|ضحك|موضة|اكسبلور|كرة_القدم|حلويات|عيد') },
  { lang: 'he', weight: 2, joiner: '', words: list('מתכון|טיול|ישראל|צחוק|אופנה') },
  { lang: 'fa', weight: 2, joiner: '', words: list('آشپزی‌ایرانی|می‌خواهم|سفر‌نامه|خنده') },
]

export const HASHTAG_SUFFIXES = list('2026|tiktok|challenge|trend|time|life')

export const EMOJI = list('🔥|✨|💅|🍜|⚽|🎶|👩‍🍳|🏳️‍🌈|🌸|😂|🇧🇷|💪|🎮|🌊|❤️')

/** Display first name and a Latin handle base for it. */
export const CREATOR_NAMES = pairs(`Maya:maya|Leo:leo|Sofía:sofia|Mateo:mateo|Chloé:chloe|Zoë:zoe|Ana:ana|João:joao|Yusuf:yusuf
  Linh:linh|Ngọc:ngoc|Jen:jen|Kai:kai|Priya:priya|Emre:emre|Björn:bjorn|Lena:lena|Amara:amara|Diego:diego|Camille:camille
  نور:noor|ليان:lian|محمد:mohammed|سارة:sara|يوسف:youssef|نور الهدى:nour.elhouda|נועה:noa|איתי:itay|さくら:sakura|ゆい:yui
  はると:haruto|민지:minji|지훈:jihoon|서연:seoyeon|小美:xiaomei|阿傑:ajie|น้องฟ้า:nongfah|ปาล์ม:palm|Sơn:son|Ayşe:ayse`)

export const CREATOR_TOPICS = pairs(`Cooks:cooks|Eats:eats|Fit:fit|Travels:travels|Beauty:beauty|News:news|Vlogs:vlogs|Daily:daily
  Studio:studio|Games:games|Style:style|Pets:pets|Comedy:comedy|Official:official|Life:life|Makes:makes`)

export const BIOS = list(`daily vlogs|recipes every week 🍳|collabs: see link 📩|مدونة يومية ✨|毎日投稿中|일상 기록 📷
  receitas fáceis todos os dias|contenido nuevo cada día 🔥|ฝากติดตามด้วยนะคะ|-`).map((bio) => (bio === '-' ? '' : bio))

export const SONG_TITLES = list(`Midnight Static|Golden Hour Again|Paper Hearts|No Sleep Summer|Blue Lemonade|Mañana Sí|Tú Me Gustas
  Saudade Boa|Coração Pirata|夜に駆ける夢|밤하늘 산책|여름비|يا ليل|حبيبي تعال|Gece Mavisi|Ciao Bella Notte|Lemon Tree Dreams
  Electric Feel Good|Moonwalk Monday|Karma Calling|Slow Dancing Alone|Fireflies in July|Neon Bodega|Ocean Eyes Again|Sakura Drift
  Bubblegum Riot|Tequila Sunrise Club|Afrobeat Sunday|ลมหนาว`)

export const SONG_VERSIONS = ['', '', '', ' (Sped Up)', ' (Slowed + Reverb)', ' - Remix', ' (Instrumental)', ' (feat. Nova)'] as const

export const ARTISTS = list(`Luna Vale|DJ Koro|Nour Haddad|Mizuki|Los Faroles|The Paper Kites Club|Ama Boateng|Sora & Rin|Bruna Lins
  KAYO|Yerin|Zeynep Aras|Tomás Ribera|Nova|Leila Karam|Hana Moon|The Night Owls|فرقة الليل`)

export const CAPTIONS = list(`3-ingredient brownies you can make tonight|POV: first day back|wait for it 😂
  rating every snack at the airport|this hack changed my mornings|رحلة إلى البحر 🌊|أسهل طريقة للكنافة|מתכון של סבתא
  오늘의 브이로그|朝ごはんルーティン|receta fácil en 10 minutos|teste de sabores 🇧🇷|bún chả Hà Nội chuẩn vị
  ตามหาร้านลับในกรุงเทพ|outfit check ✨|telling my mom I quit my job|day 47 of learning the piano
  Cette recette va te changer la vie`)

export const KEYWORD_MODIFIERS = list(`free|best|cheap|organic|limited|new|viral|easy|fast|premium|summer|vegan|handmade|waterproof
  wireless|korean|natural|daily|mini|smart|travel size|refillable|sugar free|eco`)

export const KEYWORD_NOUNS = list(`shipping|skincare routine|serum|sneakers|protein bar|phone case|air fryer|lip tint|hair oil|yoga mat
  coffee maker|sunscreen|backpack|earbuds|gift set|meal kit|face mask|perfume|water bottle|dress|candle|blender|pet bed|desk lamp
  lunch box`)

export const KEYWORD_TAILS = ['', ' deal', ' sale', ' review', ' for women', ' for men', ' 2026', ' discount'] as const

export const KEYWORD_PHRASES: Readonly<Record<string, readonly string[]>> = {
  en: list('before and after|link in bio|buy now|limited time offer|50% off|shop now|as seen on tiktok|must have'),
  es: list('envío gratis|oferta|compra ahora|antes y después|rebajas|cuidado de la piel'),
  pt: list('frete grátis|promoção|compre agora|antes e depois|cuidados com a pele'),
  fr: list('livraison gratuite|soldes|achète maintenant|avant après'),
  de: list('kostenloser versand|jetzt kaufen|vorher nachher|angebot'),
  tr: list('ücretsiz kargo|indirim|hemen al'),
  vi: list('miễn phí vận chuyển|giảm giá|mua ngay'),
  id: list('gratis ongkir|diskon|beli sekarang'),
  ja: list('送料無料|今すぐ購入|ビフォーアフター|限定セール'),
  ko: list('무료배송|지금 구매|비포 애프터|한정 할인'),
  zh: list('免運費|限時優惠|立即購買'),
  th: list('ส่งฟรี|ลดราคา|ซื้อเลย'),
  ar: list('شحن مجاني|اشتري الآن|عرض لفترة محدودة|قبل وبعد'),
  he: list('משלוח חינם|קנו עכשיו|מבצע'),
}

const COUNTRY_LANGS: Readonly<Record<string, string>> = Object.fromEntries(
  pairs(`ES:es|MX:es|AR:es|CO:es|CL:es|PE:es|BR:pt|PT:pt|FR:fr|BE:fr|DE:de|AT:de|CH:de|TR:tr|VN:vi|ID:id|JP:ja|KR:ko|TW:zh|MO:zh
    TH:th|IL:he|SA:ar|AE:ar|EG:ar|KW:ar|QA:ar|BH:ar|OM:ar|JO:ar|LB:ar|IQ:ar|MA:ar`),
)

export function countryLang(country: string): string {
  return COUNTRY_LANGS[country] ?? 'en'
}

/** The industries of the API notes (§7) (legacy list; the 2026 list drops 13, 24 and 26). */
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

export const INDUSTRY_IDS = Object.keys(INDUSTRIES)
