// How docker commands reach our socket: the DOCKER_HOST value and the `docker context`
// commands for the path main listens on. Pure.

/** `unix:///run/…/docker.sock`, or `npipe:////./pipe/docker_caching` for a Windows named pipe. */
export function dockerHost(listening: string): string {
  const pipe = /^\\\\\.\\pipe\\(.+)$/.exec(listening);
  return pipe ? `npipe:////./pipe/${pipe[1]}` : `unix://${listening}`;
}

export function dockerCommands(listening: string): { exportHost: string; createContext: string; useContext: string } {
  const host = dockerHost(listening);
  return {
    exportHost: `export DOCKER_HOST=${host}`,
    createContext: `docker context create docker-caching --docker host=${host}`,
    useContext: 'docker context use docker-caching',
  };
}
