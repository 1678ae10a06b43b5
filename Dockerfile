# Relais for production: one image for web (gunicorn), worker and beat. See docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=advocacy.settings.prod \
    RELAIS_VAR_DIR=/app/var \
    MEDIA_ROOT=/data/media

# msgfmt compiles the French catalogues below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /home/relais relais

WORKDIR /app

# Dependencies first, in their own layer: they change less often than the code.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .

# prod refuses to load without a real SECRET_KEY; these two build steps get a throw-away one that no
# running container ever sees.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    && export SECRET_KEY \
    && python manage.py compilemessages --ignore=var -v 0 \
    && python manage.py collectstatic --noinput -v 0 \
    && mkdir -p /data/media /data/beat \
    && chown -R relais:relais /app/var /data

USER relais
EXPOSE 8000

CMD ["gunicorn", "advocacy.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
