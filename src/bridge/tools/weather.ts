/**
 * weather:get as upstream serves it (docs/runtime-contract.md "Tools"): Open-Meteo's geocoding
 * for `location` (the first match), then its current forecast. Output `{location, temperature,
 * conditions, humidity, wind_speed, units: "metric"}`; a place it cannot find is TOOL_NOT_FOUND
 * ("Location not found: X"). LOOM_WEATHER_URL and LOOM_GEOCODING_URL point it at other endpoints
 * of the same APIs (a proxy, or a test's fake). Answers are read up to 1 MB, within 10 s.
 */
import { type Tool, ToolFailure } from "./tool-registry";
import { defineTool, z } from "./schema";

export const FORECAST_URL = "https://api.open-meteo.com/v1/forecast";
export const GEOCODING_URL = "https://geocoding-api.open-meteo.com/v1/search";
const TIMEOUT_MS = 10_000;
const MAX_BYTES = 1024 * 1024;

/** WMO weather codes, worded as upstream words them. */
export function conditionsOf(code: number): string {
  if (code === 0) return "Clear sky";
  if (code >= 1 && code <= 3) return "Mainly clear, partly cloudy, and overcast";
  if (code === 45 || code === 48) return "Fog and depositing rime fog";
  if ([51, 53, 55].includes(code)) return "Drizzle: Light, moderate, and dense intensity";
  if (code === 56 || code === 57) return "Freezing Drizzle: Light and dense intensity";
  if ([61, 63, 65].includes(code)) return "Rain: Slight, moderate and heavy intensity";
  if (code === 66 || code === 67) return "Freezing Rain: Light and heavy intensity";
  if ([71, 73, 75].includes(code)) return "Snow fall: Slight, moderate, and heavy intensity";
  if (code === 77) return "Snow grains";
  if (code >= 80 && code <= 82) return "Rain showers: Slight, moderate, and violent";
  if (code === 85 || code === 86) return "Snow showers slight and heavy";
  if (code === 95) return "Thunderstorm: Slight or moderate";
  if (code === 96 || code === 99) return "Thunderstorm with slight and heavy hail";
  return "Unknown";
}

/** GET `url` as JSON, bounded in time and bytes; failures in upstream's words (`what` request failed / API error). */
async function getJson(url: URL, what: string, signal: AbortSignal): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { "user-agent": "loom-agent/0.1", accept: "application/json" }, signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]) });
  } catch (e) {
    throw new ToolFailure("failed", `${what} request failed: ${url.host} did not answer (${(e as Error).name})`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new ToolFailure("failed", `${what} API error: ${response.status}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.length;
    if (size > MAX_BYTES) throw new ToolFailure("failed", `${what} response is over ${MAX_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new ToolFailure("failed", `Failed to parse ${what.toLowerCase()} response`);
  }
}

export function weatherTool(env: Record<string, string | undefined>): Tool {
  const forecast = env.LOOM_WEATHER_URL || FORECAST_URL;
  const geocoding = env.LOOM_GEOCODING_URL || GEOCODING_URL;
  return defineTool({
    name: "weather:get",
    description: "Get current weather information for a location",
    args: z.object({ location: z.string({ error: "Missing 'location'" }).describe("City name or location (e.g. 'London', 'New York')") }),
    async call({ location }, signal) {
      const geo = new URL(geocoding);
      geo.searchParams.set("name", location);
      geo.searchParams.set("count", "1");
      const place = ((await getJson(geo, "Geocoding", signal)) as { results?: { name?: string; latitude?: number; longitude?: number }[] }).results?.[0];
      if (!place || typeof place.latitude !== "number" || typeof place.longitude !== "number") throw new ToolFailure("not_found", `Location not found: ${location}`);
      const url = new URL(forecast);
      url.searchParams.set("latitude", String(place.latitude));
      url.searchParams.set("longitude", String(place.longitude));
      url.searchParams.set("current", "temperature_2m,relative_humidity_2m,wind_speed_10m,weather_code");
      const current = ((await getJson(url, "Weather", signal)) as { current?: Record<string, number> }).current;
      if (!current || typeof current.temperature_2m !== "number") throw new ToolFailure("failed", "Failed to parse weather response");
      return {
        location: place.name ?? location,
        temperature: current.temperature_2m,
        conditions: conditionsOf(Number(current.weather_code)),
        humidity: current.relative_humidity_2m,
        wind_speed: current.wind_speed_10m,
        units: "metric",
      };
    },
  });
}
