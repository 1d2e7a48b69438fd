/** weather:get against a fake Open-Meteo on loopback: upstream's parameters, result shape and failures. */
import { afterEach, describe, expect, test } from "bun:test";
import { weatherTool } from "../../src/bridge/tools/weather";
import type { ToolFailure } from "../../src/bridge/tools/tool-registry";

const servers: ReturnType<typeof Bun.serve>[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
});

function fakeOpenMeteo(options: { place?: boolean; status?: number } = {}) {
  const seen: string[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const url = new URL(req.url);
      seen.push(`${url.pathname}?${url.searchParams}`);
      if (options.status) return new Response("down", { status: options.status });
      if (url.pathname === "/v1/search")
        return Response.json(options.place === false ? {} : { results: [{ name: "Zürich", latitude: 47.37, longitude: 8.55, country: "Switzerland" }] });
      return Response.json({ current: { temperature_2m: 12.5, relative_humidity_2m: 71, wind_speed_10m: 9.4, weather_code: 61 } });
    },
  });
  servers.push(server);
  const base = `http://127.0.0.1:${server.port}`;
  return { seen, tool: weatherTool({ LOOM_WEATHER_URL: `${base}/v1/forecast`, LOOM_GEOCODING_URL: `${base}/v1/search` }) };
}

const signal = new AbortController().signal;

describe("weather:get", () => {
  test("geocodes the location, then reads the current forecast; upstream's result shape", async () => {
    const { seen, tool } = fakeOpenMeteo();
    expect(await tool.call({ location: "Zürich & more" }, signal)).toEqual({
      location: "Zürich",
      temperature: 12.5,
      conditions: "Rain: Slight, moderate and heavy intensity",
      humidity: 71,
      wind_speed: 9.4,
      units: "metric",
    });
    expect(seen[0]).toBe("/v1/search?name=Z%C3%BCrich+%26+more&count=1");
    expect(seen[1]).toBe("/v1/forecast?latitude=47.37&longitude=8.55&current=temperature_2m%2Crelative_humidity_2m%2Cwind_speed_10m%2Cweather_code");
  });

  test("an unknown place is NOT_FOUND; a failing API and a missing argument say so", async () => {
    const fail = async (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (e: ToolFailure) => e,
      );
    const unknown = await fail(fakeOpenMeteo({ place: false }).tool.call({ location: "Atlantis" }, signal));
    expect(unknown).toMatchObject({ kind: "not_found", message: "Tool not found: Location not found: Atlantis" });
    expect(await fail(fakeOpenMeteo({ status: 503 }).tool.call({ location: "x" }, signal))).toMatchObject({ message: "Execution failed: Geocoding API error: 503" });
    expect(await fail(fakeOpenMeteo().tool.call({}, signal))).toMatchObject({ kind: "invalid", message: "Invalid arguments: Missing 'location'" });
  });
});
