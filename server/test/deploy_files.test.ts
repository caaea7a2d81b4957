import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parseAllDocuments, parse as parseYaml } from 'yaml'
import { parseConfig } from '../src/config.js'
import { natsNodeConfig, parseClusterOptions } from '../../deploy/local_cluster.js'

/** Deployment files (deploy/) agree with the code and with each other; NATS configs load. */

const DEPLOY = 'deploy'
const NATS_SERVER = parseClusterOptions(process.env).natsServer
const DEFAULTS = parseConfig({})
const exec = promisify(execFile)

const read = (path: string): string => readFileSync(join(DEPLOY, path), 'utf8')

/** Every BECKON_* variable config.ts or the runtime switch (deploy/node_runtime.sh) reads. */
const CONFIG_VARS = new Set(
  ['server/src/config.ts', 'deploy/node_runtime.sh'].flatMap(
    (f) => readFileSync(f, 'utf8').match(/BECKON_[A-Z_]+/g) ?? [],
  ),
)

/** `nats-server -t`: resolves with its output if the config loads, rejects with it if not. */
async function natsConfigTest(file: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout, stderr } = await exec(NATS_SERVER, ['-t', '-c', file], { env: { ...process.env, ...env } })
  return stdout + stderr
}

/** The route URLs of a NATS config's cluster block. */
function natsRoutes(conf: string): string[] {
  const list = /routes:\s*\[([^\]]*)\]/.exec(conf)?.[1] ?? ''
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/** `20s`, `1m30s`, `45` (seconds) as seconds. */
function seconds(value: unknown): number {
  const text = String(value)
  if (/^\d+$/.test(text)) return Number(text)
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(text)
  if (!match || text === '') throw new Error(`not a duration: ${text}`)
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)
}

/** Checks that `env` only names known variables and is accepted by parseConfig(). */
function assertValidEnv(t: Test, env: Record<string, unknown>, where: string): void {
  const beckon = Object.keys(env).filter((k) => k.startsWith('BECKON_'))
  t.same(
    beckon.filter((k) => !CONFIG_VARS.has(k)),
    [],
    `${where}: every BECKON_* variable exists in config.ts`,
  )
  const values = Object.fromEntries(beckon.map((k) => [k, String(env[k])]))
  // Placeholders (${...} interpolation, secrets) are not values.
  for (const k of Object.keys(values)) if (values[k]!.includes('${')) delete values[k]
  t.doesNotThrow(() => parseConfig(values), `${where}: values parse`)
}

t.test('NATS configs: three clustered JetStream nodes routed to each other', async (t) => {
  const common = read('nats/common.conf')
  t.match(common, /^jetstream\s*\{[^}]*max_file_store:/m, 'JetStream is on, with a file store limit')
  t.match(common, /^store_dir:/m, 'store_dir is top-level (a later key can override it)')
  for (const n of [1, 2, 3]) {
    const file = join(DEPLOY, 'nats', `nats-${n}.conf`)
    const conf = readFileSync(file, 'utf8')
    t.match(conf, new RegExp(`^server_name: nats-${n}$`, 'm'))
    t.match(conf, /^include \.\/common\.conf$/m)
    t.match(conf, /cluster\s*\{[^}]*name: beckon/, `nats-${n} joins cluster beckon`)
    const others = [1, 2, 3].filter((o) => o !== n).map((o) => `nats://nats-${o}:6222`)
    t.same(natsRoutes(conf), others, `nats-${n} routes to the other two`)
    t.match(await natsConfigTest(file), /is valid/, `nats-server -t accepts nats-${n}.conf`)
  }
})

t.test('nats-server -t rejects a broken config (the check above can fail)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-deploy-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'broken.conf')
  await writeFile(file, read('nats/common.conf').replace('max_file_store:', 'max_file_stor:'))
  await t.rejects(natsConfigTest(file), /unknown field/)
})

t.test('local_cluster.ts generates loopback configs that include the deploy ones', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'beckon-deploy-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const opts = {
    ...parseClusterOptions({ CLUSTER_NATS_PORT: '14222', CLUSTER_ROUTE_PORT: '16222', CLUSTER_MONITOR_PORT: '18222' }),
    dataDir: dir,
  }
  for (const i of [0, 1, 2]) {
    const file = join(dir, `nats-${i + 1}.conf`)
    const conf = natsNodeConfig(opts, i, file)
    await writeFile(file, conf)
    t.match(conf, new RegExp(`^include ".*deploy/nats/nats-${i + 1}\\.conf"$`, 'm'))
    t.match(conf, new RegExp(`^listen: 127\\.0\\.0\\.1:${14222 + i}$`, 'm'))
    t.same(
      natsRoutes(conf),
      [0, 1, 2].filter((o) => o !== i).map((o) => `nats://127.0.0.1:${16222 + o}`),
    )
    t.match(await natsConfigTest(file), /is valid/, `generated nats-${i + 1}.conf loads`)
  }
  t.throws(() => parseClusterOptions({ CLUSTER_NATS_PORT: '65534' }), /CLUSTER_NATS_PORT/, 'three ports must fit')
})

t.test('beckon.env.example lists every variable config.ts and the switch read, with its default', async (t) => {
  const text = read('systemd/beckon.env.example')
  const listed = new Set([...text.matchAll(/^#?(BECKON_[A-Z_]+)=/gm)].map((m) => m[1]))
  t.same([...CONFIG_VARS].filter((v) => !listed.has(v)).sort(), [], 'no variable missing')
  t.same([...listed].filter((v) => !CONFIG_VARS.has(v as string)).sort(), [], 'no variable nobody reads')
  const set = Object.fromEntries([...text.matchAll(/^(BECKON_[A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]))
  const { nodeId: _a, trustedProxies: _b, ...fromFile } = parseConfig(set)
  const { nodeId: _c, trustedProxies: _d, ...defaults } = DEFAULTS
  t.same(fromFile, defaults, 'the values given are the defaults')
})

t.test('Dockerfile: multi-stage, non-root, health-checked, drains on SIGTERM', async (t) => {
  const text = read('docker/Dockerfile')
  const froms = [...text.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1])
  t.ok(froms.length >= 2, 'more than one stage')
  t.match(text, /^ARG NODE_VERSION=(20|22|24)$/m, 'one Node version for every stage, an LTS by default')
  // Docker's ${...} build arguments, literally.
  const image = ['node:$', '{NODE_VERSION}-$', '{DEBIAN_RELEASE}'].join('')
  t.ok(
    froms.slice(0, -1).every((f) => f === image),
    'built on node:NODE_VERSION-DEBIAN_RELEASE',
  )
  t.match(text, /^ARG DEBIAN_RELEASE=bookworm$/m, 'Debian bookworm by default')
  t.equal(froms.at(-1), `${image}-slim`, 'runs on the slim image of the same Node')
  const user = /^USER\s+(\S+)/m.exec(text)?.[1] ?? ''
  t.ok(user !== '' && !/^(root|0)(:|$)/.test(user), `USER ${user} is not root`)
  t.match(text, /^HEALTHCHECK .*\/healthz/ms)
  t.match(text, /^EXPOSE 8080$/m)
  t.match(text, /^STOPSIGNAL SIGTERM$/m)
  t.match(text, /^CMD \["deploy\/node_runtime\.sh", "dist\/server\/src\/main\.js"\]$/m, 'runs through the switch')
  t.match(text, /^COPY --from=build \/app\/deploy\/node_runtime\.sh deploy\/$/m)
  t.notMatch(
    text.slice(text.lastIndexOf('FROM')),
    /npm (ci|install)(?! --omit=dev)/,
    'no dev dependencies in the runtime stage',
  )
  const ignore = read('docker/Dockerfile.dockerignore')
  for (const [, src] of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const path of (src ?? '').split(/\s+/)) {
      t.ok(existsSync(path), `${path} exists`)
      t.match(ignore, new RegExp(`^!${path.replaceAll('.', '\\.')}/?$`, 'm'), `${path} is in the build context`)
    }
  }
})

t.test('docker-compose.yml: 3 NATS, 2 beckon nodes, a WebSocket-aware load balancer', async (t) => {
  const compose = parseYaml(read('docker/docker-compose.yml'), { merge: true }) as { services: Record<string, any> }
  const services = compose.services
  const nats = Object.keys(services).filter((s) => /^nats-\d$/.test(s))
  t.same(nats, ['nats-1', 'nats-2', 'nats-3'])
  for (const name of nats) {
    const svc = services[name]
    t.same(svc.command, ['nats-server', '-c', `/etc/nats/${name}.conf`], `${name} runs deploy/nats/${name}.conf`)
    t.ok((svc.volumes as string[]).includes('../nats:/etc/nats:ro'), `${name} mounts deploy/nats`)
    t.match(svc.healthcheck?.test?.join(' '), /8222\/healthz/)
  }
  const beckon = Object.keys(services).filter((s) => /^beckon-\d$/.test(s))
  t.ok(beckon.length >= 2, 'two beckon nodes or more')
  const ids = new Set<string>()
  for (const name of beckon) {
    const svc = services[name]
    const env = svc.environment as Record<string, string>
    t.same(
      env.BECKON_NATS_URL?.split(','),
      nats.map((n) => `nats://${n}:4222`),
      `${name} lists every NATS node`,
    )
    t.equal(env.BECKON_NATS_REPLICAS, '3')
    ids.add(env.BECKON_NODE_ID ?? '')
    t.equal(svc.build?.dockerfile, 'deploy/docker/Dockerfile')
    const drain = Number(env.BECKON_DRAIN_SECONDS ?? DEFAULTS.drainSeconds)
    t.ok(seconds(svc.stop_grace_period) > drain, `${name} stop_grace_period exceeds the drain`)
    t.same(Object.keys(svc.depends_on).sort(), nats)
    assertValidEnv(t, env, name)
  }
  t.equal(ids.size, beckon.length, 'distinct BECKON_NODE_IDs')
  const lb = services.lb
  t.ok(
    (lb?.volumes as string[] | undefined)?.includes('./nginx.conf:/etc/nginx/nginx.conf:ro'),
    'the LB runs deploy/docker/nginx.conf',
  )
  const nginx = read('docker/nginx.conf')
  for (const name of beckon) t.match(nginx, new RegExp(`server ${name}:8080\\b`), `nginx balances over ${name}`)
  t.match(nginx, /proxy_set_header Upgrade \$http_upgrade;/)
  t.match(nginx, /proxy_set_header Connection \$connection_upgrade;/)
  t.match(nginx, /proxy_http_version 1\.1;/)
  const readTimeout = /proxy_read_timeout (\d+)([smh]);/.exec(nginx)
  const timeoutSeconds =
    Number(readTimeout?.[1]) * ({ s: 1, m: 60, h: 3600 }[readTimeout?.[2] as 's' | 'm' | 'h'] ?? NaN)
  t.ok(timeoutSeconds > DEFAULTS.limits.idleTimeoutSeconds, 'idle sockets outlive the server ping interval')
})

t.test('k8s manifests', async (t) => {
  const files = readdirSync(join(DEPLOY, 'k8s')).filter((f) => f.endsWith('.yaml'))
  const kustomization = parseYaml(read('k8s/kustomization.yaml')) as { resources: string[] }
  const manifests = files.filter((f) => f !== 'kustomization.yaml' && !f.includes('.example.'))
  t.same([...kustomization.resources].sort(), manifests.sort(), 'kustomization applies every manifest but the examples')
  const objects: any[] = []
  for (const file of files.filter((f) => f !== 'kustomization.yaml')) {
    for (const doc of parseAllDocuments(read(`k8s/${file}`))) {
      t.same(doc.errors, [], `${file} parses`)
      const object = doc.toJS()
      t.notOk(object.metadata?.namespace, `${file}: namespace-free`)
      objects.push(object)
    }
  }
  const find = (kind: string, name: string): any => objects.find((o) => o.kind === kind && o.metadata?.name === name)

  const config = find('ConfigMap', 'beckon')
  assertValidEnv(t, config.data, 'beckon ConfigMap')
  assertValidEnv(t, find('Secret', 'beckon').stringData, 'beckon Secret template')
  const drain = Number(config.data.BECKON_DRAIN_SECONDS ?? DEFAULTS.drainSeconds)

  const deployment = find('Deployment', 'beckon')
  const pod = deployment.spec.template.spec
  const container = pod.containers[0]
  t.ok(deployment.spec.replicas >= 2, 'two replicas or more')
  t.equal(container.readinessProbe.httpGet.path, '/readyz')
  t.equal(container.livenessProbe.httpGet.path, '/healthz')
  const preStop: string[] = container.lifecycle.preStop.exec.command
  t.equal(preStop[0], 'sleep', 'preStop waits for the endpoints to update')
  t.ok(pod.terminationGracePeriodSeconds > Number(preStop[1]) + drain, 'the grace period covers preStop and the drain')
  t.equal(pod.securityContext.runAsNonRoot, true)
  t.not(pod.securityContext.runAsUser, 0)
  t.equal(container.securityContext.readOnlyRootFilesystem, true)
  t.equal(container.securityContext.allowPrivilegeEscalation, false)
  t.equal(pod.enableServiceLinks, false, 'no docker-link BECKON_PORT from the beckon Service')
  t.same(container.env.find((e: any) => e.name === 'BECKON_NODE_ID')?.valueFrom, {
    fieldRef: { fieldPath: 'metadata.name' },
  })
  t.same(container.envFrom, [{ configMapRef: { name: 'beckon' } }, { secretRef: { name: 'beckon' } }])
  t.ok(container.resources.requests && container.resources.limits.memory, 'resources set')
  const ports = container.ports.map((p: any) => p.name)
  t.equal(container.ports[0].containerPort, Number(config.data.BECKON_PORT))

  const labels = deployment.spec.template.metadata.labels
  for (const [kind, object] of [
    ['Service', find('Service', 'beckon')],
    ['PodDisruptionBudget', find('PodDisruptionBudget', 'beckon')],
  ]) {
    const selector = object.spec.selector.matchLabels ?? object.spec.selector
    t.ok(
      Object.entries(selector).every(([k, v]) => labels[k] === v),
      `${kind} selects the beckon pods`,
    )
  }
  t.ok(ports.includes(find('Service', 'beckon').spec.ports[0].targetPort), 'Service targets the container port')

  const nats = find('StatefulSet', 'nats')
  t.equal(nats.spec.replicas, 3)
  const headless = find('Service', nats.spec.serviceName)
  t.equal(headless.spec.clusterIP, 'None', 'NATS pods have stable DNS names')
  t.same(
    config.data.BECKON_NATS_URL.split(','),
    [0, 1, 2].map((i) => `nats://nats-${i}.${nats.spec.serviceName}:4222`),
    'beckon lists every NATS pod',
  )
  const natsConfig = find('ConfigMap', 'nats').data
  t.equal(
    natsConfig['common.conf'],
    read('nats/common.conf'),
    'the NATS ConfigMap carries deploy/nats/common.conf verbatim',
  )
  t.same(
    natsRoutes(natsConfig['nats.conf']),
    [0, 1, 2].map((i) => `nats://nats-${i}.${nats.spec.serviceName}:6222`),
  )
  const dir = await mkdtemp(join(tmpdir(), 'beckon-deploy-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  for (const [name, text] of Object.entries(natsConfig)) await writeFile(join(dir, name), text as string)
  t.match(
    await natsConfigTest(join(dir, 'nats.conf'), { POD_NAME: 'nats-0' }),
    /is valid/,
    'nats-server -t accepts the StatefulSet config',
  )
  t.ok(find('PodDisruptionBudget', 'nats'), 'NATS has a disruption budget')
})

t.test('systemd units: drain on SIGTERM within the stop timeout', async (t) => {
  const unit = (file: string): Map<string, string[]> => {
    const keys = new Map<string, string[]>()
    for (const line of read(`systemd/${file}`).split('\n')) {
      const match = /^([A-Za-z]+)=(.*)$/.exec(line)
      if (match) keys.set(match[1]!, [...(keys.get(match[1]!) ?? []), match[2]!])
    }
    return keys
  }
  for (const file of ['beckon.service', 'beckon@.service']) {
    const keys = unit(file)
    t.equal(
      keys.get('ExecStart')?.[0],
      '/opt/beckon/deploy/node_runtime.sh dist/server/src/main.js',
      `${file} ExecStart`,
    )
    t.same(keys.get('KillSignal'), ['SIGTERM'])
    t.ok(
      seconds(keys.get('TimeoutStopSec')?.[0]) > DEFAULTS.drainSeconds,
      `${file} TimeoutStopSec exceeds BECKON_DRAIN_SECONDS`,
    )
    t.ok(
      keys.get('NoNewPrivileges')?.[0] === 'yes' && keys.get('ProtectSystem')?.[0] === 'strict',
      `${file} is hardened`,
    )
    t.notOk(keys.has('MemoryDenyWriteExecute'), `${file} lets V8 compile`)
  }
  t.same(unit('beckon@.service').get('EnvironmentFile'), ['/etc/beckon/%i.env'])
  const nats = unit('nats-server.service')
  t.match(nats.get('ExecStart')?.[0], /^\/usr\/sbin\/nats-server -c /)
  t.ok(
    nats.has('KillSignal') &&
      seconds(nats.get('TimeoutStopSec')?.[0]) >
        seconds(/lame_duck_duration: "(\w+)"/.exec(read('nats/common.conf'))?.[1]),
    'nats-server gets its lame duck time',
  )
})
